// The Check panel in the right sidebar: a running check, then the result per exercise.
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { NotebookPanel } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import {
  ApiError,
  cancelCheck,
  checkStatus,
  ICheckJob,
  ICheckResult,
  IExerciseResult,
  openHint,
  startCheck
} from './api';

const POLL_MS = 700;

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

function fmt(x: number): string {
  return Number.isInteger(x) ? `${x}` : x.toFixed(1);
}

/** What the Check panel knows of one notebook. */
interface IState {
  job: ICheckJob | null;
  problem: { error: string; advice: string } | null;
  hints: Map<string, HTMLElement>;
}

export interface ICheckPanelOptions {
  rendermime: IRenderMimeRegistry;
  /** Show a notebook panel and select a cell. */
  reveal: (panel: NotebookPanel, index: number) => void;
  /** Called after every check that ran to the end. */
  onChecked: (path: string) => void;
}

export class CheckPanel extends Widget {
  private _states = new Map<string, IState>();
  private _panel: NotebookPanel | null = null;
  private _options: ICheckPanelOptions;

  constructor(options: ICheckPanelOptions) {
    super();
    this._options = options;
    this.id = 'certlab-check';
    this.addClass('certlab-check');
    this.title.caption = 'certlab Check';
    this.render();
  }

  /** Show the state of this notebook (the one in the main area). */
  follow(panel: NotebookPanel | null): void {
    this._panel = panel;
    this.render();
  }

  private state(path: string): IState {
    let state = this._states.get(path);
    if (!state) {
      state = { job: null, problem: null, hints: new Map() };
      this._states.set(path, state);
    }
    return state;
  }

  isRunning(path: string): boolean {
    return this._states.get(path)?.job?.state === 'running';
  }

  /** Save the notebook, run `certlab check` on it, follow it to the end. */
  async check(panel: NotebookPanel): Promise<void> {
    this._panel = panel;
    const path = panel.context.path;
    const state = this.state(path);
    if (state.job?.state === 'running') {
      return;
    }
    state.problem = null;
    state.hints = new Map();
    state.job = { id: '', notebook: path, state: 'running', stage: 'saving the notebook', elapsed: 0 };
    this.render();
    try {
      await panel.context.save();
    } catch (error) {
      state.job = null;
      state.problem = {
        error: `The notebook could not be saved: ${(error as Error).message}`,
        advice: 'Save it with Ctrl+S (or File › Save Notebook), then press Check again.'
      };
      this.render();
      return;
    }
    try {
      state.job = await startCheck(path);
      this.render();
      while (state.job && state.job.state === 'running') {
        await new Promise(resolve => setTimeout(resolve, POLL_MS));
        if (!state.job || state.job.state !== 'running') {
          break; // cancelled meanwhile
        }
        state.job = await checkStatus(state.job.id);
        this.render();
      }
    } catch (error) {
      state.job = null;
      state.problem = explainApiError(error);
      this.render();
      return;
    }
    this.render();
    if (state.job?.state === 'done') {
      this._options.onChecked(path);
    }
  }

  private async cancel(path: string): Promise<void> {
    const state = this.state(path);
    const job = state.job;
    if (!job || job.state !== 'running' || !job.id) {
      return;
    }
    try {
      state.job = await cancelCheck(job.id);
    } catch (error) {
      state.problem = explainApiError(error);
    }
    this.render();
  }

  private render(): void {
    const node = this.node;
    const panel = this._panel;
    const children: HTMLElement[] = [el('h2', '', 'Check')];
    if (!panel) {
      children.push(
        el('p', 'certlab-muted', 'Open an assignment notebook and press Check in its toolbar.')
      );
      node.replaceChildren(...children);
      node.dataset.state = 'idle';
      return;
    }
    const path = panel.context.path;
    const state = this.state(path);
    children.push(el('p', 'certlab-muted certlab-check-path', path));
    const job = state.job;
    node.dataset.state = state.problem ? 'failed' : job ? job.state : 'idle';
    if (state.problem) {
      children.push(problemBox(state.problem.error, state.problem.advice));
    } else if (!job) {
      children.push(
        el(
          'p',
          'certlab-muted',
          'Press Check in the notebook toolbar: your notebook is saved and graded with the hidden tests, as your instructor grades it.'
        )
      );
    } else if (job.state === 'running') {
      const box = el('div', 'certlab-running');
      box.append(el('p', 'certlab-stage', `Checking… ${job.stage} (${Math.round(job.elapsed)} s)`));
      const progress = el('progress', 'certlab-progressbar');
      // About 8 s on a 2-core machine; the bar creeps on for longer checks.
      progress.max = 1;
      progress.value = Math.min(0.95, 1 - Math.exp(-job.elapsed / 8));
      box.append(progress);
      const cancel = el('button', 'jp-Button jp-mod-styled jp-mod-warn certlab-cancel', 'Cancel');
      cancel.onclick = () => void this.cancel(path);
      box.append(cancel);
      children.push(box);
    } else if (job.state === 'done' && job.result) {
      children.push(this.renderResult(panel, job.result, state));
    } else {
      children.push(problemBox(job.error || 'The check failed.', job.advice || ''));
    }
    node.replaceChildren(...children);
  }

  private renderResult(panel: NotebookPanel, result: ICheckResult, state: IState): HTMLElement {
    const box = el('div', 'certlab-result');
    const total = el(
      'p',
      'certlab-total ' + (result.passed ? 'certlab-pass' : 'certlab-fail'),
      `${result.assignment}: ${fmt(result.score)}/${fmt(result.max_score)} points`
    );
    box.append(total);
    box.append(
      el(
        'p',
        'certlab-muted',
        result.hidden
          ? 'Graded with the hidden tests, as your instructor grades.'
          : 'Visible tests only: this copy of the course has no source/; the hidden tests run when your instructor grades.'
      )
    );
    const list = el('ul', 'certlab-exercises');
    for (const r of result.results) {
      list.append(this.renderExercise(panel, r, state));
    }
    box.append(list);
    if (result.missing.length) {
      box.append(
        el(
          'p',
          'certlab-warning',
          `Missing test cells ${result.missing.join(', ')}: they score 0. Fetch a fresh copy of the notebook from release/ and paste your answers into it.`
        )
      );
    }
    if (result.timing) {
      box.append(el('p', 'certlab-warning', `Timed exam: ${result.timing}`));
    }
    for (const flag of result.flags) {
      box.append(el('p', 'certlab-warning', `Integrity: ${flag}. Tests after this cell get no credit; remove it.`));
    }
    if (result.solutions_viewed.length) {
      box.append(el('p', 'certlab-muted', `Reference answers viewed: ${result.solutions_viewed.join(', ')}.`));
    }
    box.append(
      el(
        'p',
        'certlab-muted',
        result.recorded ? `Attempt recorded in the gradebook for ${result.student}.` : 'Not recorded.'
      )
    );
    return box;
  }

  private renderExercise(panel: NotebookPanel, r: IExerciseResult, state: IState): HTMLElement {
    const item = el('li', 'certlab-exercise ' + (r.passed ? 'certlab-pass' : 'certlab-fail'));
    item.dataset.exercise = r.exercise;
    const head = el('div', 'certlab-exercise-head');
    head.append(el('span', 'certlab-badge', r.passed ? 'pass' : 'fail'));
    head.append(el('span', 'certlab-exercise-name', r.exercise));
    head.append(el('span', 'certlab-score', `${fmt(r.score)}/${fmt(r.max_score)}`));
    item.append(head);
    if (!r.passed) {
      item.append(el('div', 'certlab-reason', r.reason));
      const actions = el('div', 'certlab-actions');
      const go = el('button', 'jp-Button jp-mod-styled certlab-goto', 'Go to the exercise');
      go.onclick = () => {
        const index = findCell(panel, r);
        if (index >= 0) {
          this._options.reveal(panel, index);
        }
      };
      actions.append(go);
      if (r.next_hint && r.next_hint !== 'all hints read') {
        const hint = el('button', 'jp-Button jp-mod-styled jp-mod-accept certlab-hint-button', 'Show next hint');
        hint.title = r.next_hint;
        hint.onclick = () => void this.showHint(panel.context.path, r, state, hint);
        actions.append(hint);
      }
      item.append(actions);
      const shown = state.hints.get(r.exercise);
      if (shown) {
        item.append(shown);
      }
    }
    return item;
  }

  private async showHint(
    path: string,
    r: IExerciseResult,
    state: IState,
    button: HTMLButtonElement
  ): Promise<void> {
    button.disabled = true;
    const box = el('div', 'certlab-hint');
    try {
      const hint = await openHint(path, r.exercise);
      if (!hint.ok) {
        box.append(problemBox(hint.error, hint.advice));
      } else {
        const more = hint.level >= hint.levels ? ' (the last one)' : '';
        box.append(el('div', 'certlab-hint-label', `${stripTags(hint.label)} (level ${hint.level} of ${hint.levels}${more})`));
        const renderer = this._options.rendermime.createRenderer('text/markdown');
        await renderer.renderModel(
          this._options.rendermime.createModel({ data: { 'text/markdown': hint.markdown }, trusted: false })
        );
        box.append(renderer.node);
        r.next_hint = hint.level < hint.levels ? `level ${hint.level + 1} of ${hint.levels}` : 'all hints read';
      }
    } catch (error) {
      const problem = explainApiError(error);
      box.append(problemBox(problem.error, problem.advice));
    }
    state.hints.set(r.exercise, box);
    this.render();
  }
}

function stripTags(text: string): string {
  const div = document.createElement('div');
  div.innerHTML = text;
  return div.textContent || '';
}

function problemBox(error: string, advice: string): HTMLElement {
  const box = el('div', 'certlab-problem-box');
  box.append(el('p', 'certlab-problem', error));
  if (advice) {
    box.append(el('p', 'certlab-advice', advice));
  }
  return box;
}

function explainApiError(error: unknown): { error: string; advice: string } {
  if (error instanceof ApiError && error.status === 404 && /certlab|not found/i.test(error.message)) {
    return {
      error: "certlab's server extension is not running on this Jupyter server, so Check cannot grade here.",
      advice:
        'Run `certlab check NOTEBOOK` in a terminal instead, or ask whoever runs this server to enable the certlab.labext server extension.'
    };
  }
  return {
    error: `The check could not run: ${(error as Error).message}`,
    advice: 'Save the notebook and press Check again; if it keeps failing, run `certlab check NOTEBOOK` in a terminal.'
  };
}

/** The cell of an exercise: its answer cell, else its test cell. */
export function findCell(panel: NotebookPanel, r: IExerciseResult): number {
  const cells = panel.content.widgets;
  let test = -1;
  for (let i = 0; i < cells.length; i++) {
    const model = cells[i].model;
    const certlab = (model.getMetadata('certlab') || {}) as { exercise?: string };
    const nbgrader = (model.getMetadata('nbgrader') || {}) as { grade_id?: string; solution?: boolean };
    if (certlab.exercise === r.exercise && nbgrader.solution) {
      return i;
    }
    if (nbgrader.grade_id === r.grade_id && test < 0) {
      test = i;
    }
  }
  return test;
}
