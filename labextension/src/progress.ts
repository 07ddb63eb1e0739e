// The progress panel in the left sidebar: the figures of `certlab report`.
import { Widget } from '@lumino/widgets';

import { ApiError, fetchProgress, IExam, IProgress } from './api';

function pct(x: number | null): string {
  return x === null || x === undefined ? '—' : `${Math.round(x * 100)}%`;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text = ''
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text) {
    node.textContent = text;
  }
  return node;
}

function bar(value: number | null, coverage: number, label: string): HTMLElement {
  // Grey: the share the course covers; coloured: what is earned.
  const outer = el('div', 'certlab-bar');
  outer.title = label;
  const cov = el('div', 'certlab-bar-coverage');
  cov.style.width = `${Math.round(coverage * 100)}%`;
  const val = el('div', 'certlab-bar-value');
  val.style.width = `${Math.round((value || 0) * 100)}%`;
  outer.append(cov, val);
  return outer;
}

export class ProgressPanel extends Widget {
  private _path = '';
  private _exam: string | null = null;
  private _data: IProgress | null = null;
  private _body: HTMLElement;
  private _status: HTMLElement;
  private _seq = 0;

  constructor() {
    super();
    this.id = 'certlab-progress';
    this.addClass('certlab-progress');
    this.title.caption = 'certlab progress';
    const header = el('div', 'certlab-progress-header');
    header.append(el('h2', '', 'Progress'));
    const refresh = el('button', 'jp-Button certlab-refresh', 'Refresh');
    refresh.onclick = () => void this.refresh();
    header.append(refresh);
    this._status = el('div', 'certlab-progress-status');
    this._body = el('div', 'certlab-progress-body');
    this.node.append(header, this._status, this._body);
    this._body.append(el('p', 'certlab-muted', 'Open a course notebook to see your progress.'));
  }

  /** Follow the course of this notebook (a path relative to the server's root). */
  setPath(path: string): void {
    if (path && path !== this._path) {
      this._path = path;
      void this.refresh();
    }
  }

  async refresh(): Promise<void> {
    const seq = ++this._seq;
    this._status.textContent = 'Updating…';
    this.node.dataset.state = 'loading';
    try {
      const data = await fetchProgress(this._path);
      if (seq !== this._seq) {
        return;
      }
      if (!data.ok) {
        this._data = null;
        this._body.replaceChildren(
          el('p', 'certlab-problem', data.error),
          el('p', 'certlab-advice', data.advice)
        );
      } else {
        this._data = data;
        this.render();
      }
      this._status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      if (seq !== this._seq) {
        return;
      }
      const absent = error instanceof ApiError && error.status === 404;
      this._body.replaceChildren(
        el(
          'p',
          'certlab-problem',
          absent
            ? "certlab's server extension is not running, so progress cannot be shown."
            : `Progress could not be loaded: ${(error as Error).message}`
        ),
        el(
          'p',
          'certlab-advice',
          'Run `certlab report` in a terminal, or ask whoever runs this server to enable the certlab.labext server extension.'
        )
      );
      this._status.textContent = '';
    }
    this.node.dataset.state = 'ready';
  }

  private render(): void {
    const data = this._data;
    if (!data) {
      return;
    }
    const body: HTMLElement[] = [];
    body.push(el('p', 'certlab-muted', `Learner ${data.student} · course ${data.course}`));

    // Next recommended assignment.
    const next = el('div', 'certlab-next');
    next.append(el('h3', '', 'Next'));
    next.append(
      el(
        'p',
        'certlab-next-list',
        data.next_assignments.length
          ? data.next_assignments.join(', ')
          : 'Nothing left in your weakest domains.'
      )
    );
    body.push(next);

    // Readiness per exam domain, with coverage.
    const exams = data.exams.filter(e => e.readiness !== null);
    if (this._exam === null || !exams.find(e => e.id === this._exam)) {
      this._exam = data.default_exam || (exams.length ? exams[0].id : null);
    }
    const examBox = el('div', 'certlab-exam');
    examBox.append(el('h3', '', 'Readiness'));
    const select = el('select', 'certlab-exam-select');
    for (const e of exams) {
      const option = el('option', '', `${e.id} (${e.label})`);
      option.value = e.id;
      option.selected = e.id === this._exam;
      select.append(option);
    }
    select.onchange = () => {
      this._exam = select.value;
      this.render();
    };
    examBox.append(select);
    const exam = exams.find(e => e.id === this._exam);
    if (exam) {
      examBox.append(this.renderExam(exam));
    }
    body.push(examBox);

    // Points per assignment.
    const table = el('table', 'certlab-assignments');
    const head = el('tr');
    head.append(el('th', '', 'assignment'), el('th', 'certlab-num', 'points'));
    table.append(head);
    for (const a of data.assignments) {
      const row = el('tr', a.attempted ? 'certlab-attempted' : '');
      row.dataset.assignment = a.id;
      const name = el('td');
      name.append(el('div', '', a.id));
      name.append(bar(a.possible ? a.earned / a.possible : 0, 1, `${a.earned}/${a.possible}`));
      row.append(name, el('td', 'certlab-num certlab-points', `${fmt(a.earned)}/${fmt(a.possible)}`));
      table.append(row);
    }
    const points = el('div');
    points.append(el('h3', '', 'Points per assignment'), table);
    body.push(points);
    body.push(
      el('p', 'certlab-muted', `Hints opened: ${data.hints}; reference answers viewed: ${data.solutions}.`)
    );
    this._body.replaceChildren(...body);
  }

  private renderExam(exam: IExam): HTMLElement {
    const box = el('div', 'certlab-exam-detail');
    box.dataset.exam = exam.id;
    const summary = el(
      'p',
      'certlab-readiness',
      `Readiness ${pct(exam.readiness)} · coverage ${pct(exam.coverage)}`
    );
    box.append(summary, bar(exam.readiness, exam.coverage, 'readiness (grey: coverage)'));
    const table = el('table', 'certlab-domains');
    const head = el('tr');
    head.append(
      el('th', '', 'domain'),
      el('th', 'certlab-num', 'weight'),
      el('th', 'certlab-num', 'mastery'),
      el('th', 'certlab-num', 'coverage')
    );
    table.append(head);
    for (const d of exam.domains) {
      const row = el('tr');
      row.dataset.domain = d.id;
      const name = el('td');
      name.append(el('div', '', `§${d.id} ${d.name}`));
      name.append(bar(d.mastery, d.coverage, 'mastery (grey: coverage)'));
      row.append(
        name,
        el('td', 'certlab-num', pct(d.weight)),
        el('td', 'certlab-num certlab-mastery', pct(d.mastery)),
        el('td', 'certlab-num', pct(d.coverage))
      );
      table.append(row);
    }
    box.append(table);
    box.append(
      el(
        'p',
        'certlab-muted',
        'Readiness = Σ domain weight × domain mastery; coverage = share of the exam the course grades. Unattempted work counts as 0.'
      )
    );
    return box;
  }
}

function fmt(x: number): string {
  return Number.isInteger(x) ? `${x}` : x.toFixed(1);
}
