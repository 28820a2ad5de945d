// A task as the console API sends it: the SDK's TaskView without its stored output (a 1 MB output is read through
// the output routes, as a tail or a download, never inside a listing) and with vault data shown only as sealed.
import type { DashboardPrincipal, TaskView } from '@rediacc/core';
import type { RediaccClient } from '@rediacc/producer';
import { requireTeam } from './access.js';

export type ConsoleTaskView = Omit<TaskView, 'output'>;

export function consoleView(view: TaskView): ConsoleTaskView {
  const { output: _output, ...rest } = view;
  return { ...rest, vaultData: view.vaultData === null || view.vaultData === undefined ? null : '(sealed)' };
}

/** The task `taskId`, if the token may see its team: RDC_TASK_UNKNOWN (404) or RDC_FORBIDDEN (403) otherwise. */
export async function visibleTask(
  client: RediaccClient,
  principal: DashboardPrincipal,
  taskId: string,
): Promise<TaskView> {
  const view = await client.tasks.inspect(taskId);
  requireTeam(principal, view.team);
  return view;
}
