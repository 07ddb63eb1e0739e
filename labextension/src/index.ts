// certlab in JupyterLab: a Check button in every notebook's toolbar, the result per exercise in
// the right sidebar, and the learner's progress (the figures of `certlab report`) in the left one.
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ToolbarButton } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { LabIcon } from '@jupyterlab/ui-components';

import { CheckPanel } from './check';
import { ProgressPanel } from './progress';

const checkSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
<path class="jp-icon3" fill="#616161" d="M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z"/></svg>`;
const progressSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
<path class="jp-icon3" fill="#616161" d="M4 19h3v-7H4zm6.5 0h3V5h-3zM17 19h3v-10h-3z"/></svg>`;

export const checkIcon = new LabIcon({ name: 'certlab:check', svgstr: checkSvg });
export const progressIcon = new LabIcon({ name: 'certlab:progress', svgstr: progressSvg });

const CHECK_COMMAND = 'certlab:check';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'certlab-labextension:plugin',
  description: 'certlab: a Check button with feedback per exercise, and a progress panel',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry],
  optional: [ILabShell, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    rendermime: IRenderMimeRegistry,
    labShell: ILabShell | null,
    restorer: ILayoutRestorer | null
  ) => {
    const progress = new ProgressPanel();
    progress.title.icon = progressIcon;
    const checkPanel = new CheckPanel({
      rendermime,
      reveal: (panel: NotebookPanel, index: number) => {
        app.shell.activateById(panel.id);
        const notebook = panel.content;
        notebook.activeCellIndex = index;
        notebook.deselectAll();
        const cell = notebook.widgets[index];
        void notebook.scrollToCell(cell, 'start').then(() => cell.node.focus());
      },
      onChecked: (path: string) => {
        progress.setPath(path);
        void progress.refresh();
      }
    });
    checkPanel.title.icon = checkIcon;
    app.shell.add(progress, 'left', { rank: 600 });
    app.shell.add(checkPanel, 'right', { rank: 600 });
    if (restorer) {
      restorer.add(progress, 'certlab-progress');
      restorer.add(checkPanel, 'certlab-check');
    }

    const follow = (panel: NotebookPanel | null) => {
      checkPanel.follow(panel);
      if (panel) {
        void panel.context.ready.then(() => progress.setPath(panel.context.path));
      }
    };
    tracker.currentChanged.connect((_, panel) => follow(panel));
    follow(tracker.currentWidget);

    const runCheck = (panel: NotebookPanel) => {
      if (labShell) {
        labShell.expandRight();
        labShell.activateById(checkPanel.id);
      } else {
        app.shell.activateById(checkPanel.id);
      }
      void checkPanel.check(panel);
    };

    app.commands.addCommand(CHECK_COMMAND, {
      label: 'Check with certlab (hidden tests, hints)',
      caption: 'Save the notebook and grade it as your instructor would, with a reason and a hint for each failure',
      icon: checkIcon,
      isEnabled: () => !!tracker.currentWidget,
      execute: () => {
        if (tracker.currentWidget) {
          runCheck(tracker.currentWidget);
        }
      }
    });

    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (panel: NotebookPanel) => {
        const button = new ToolbarButton({
          className: 'certlab-check-button',
          icon: checkIcon,
          label: 'Check',
          tooltip:
            'Save and grade this notebook with certlab (hidden tests included): a score, a reason and a hint for each exercise',
          onClick: () => runCheck(panel)
        });
        panel.toolbar.insertAfter('cellType', 'certlabCheck', button);
        return button;
      }
    });
  }
};

export default plugin;
