import type { EventEmitter } from 'node:events';
import type { Command } from 'commander';

const EXIT_CODES = 'Exit codes: 0 ok, 1 failure (invalid config, not found, operation failed), 2 usage error.';

/**
 * Every runnable command's `--help` ends with its exit codes. Commands that document their own (an `Exit`
 * line in their help text, e.g. ingest and doctor) keep theirs; the others get the common meaning.
 */
export function documentExitCodes(program: Command): void {
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  for (const command of all(program)) {
    if (command === program || command.commands.length > 0) continue;
    if (!/exit (codes|status)/i.test(afterHelpText(command))) command.addHelpText('after', `\n${EXIT_CODES}`);
  }
}

/** The text other `addHelpText('after', ...)` calls registered, gathered without printing it. */
function afterHelpText(command: Command): string {
  let text = '';
  // commander's Command is an EventEmitter at run time; its types do not say so.
  const listeners = (command as unknown as EventEmitter).listeners('afterHelp') as Array<(context: { error: boolean; command: Command; write: (s: string) => void }) => void>;
  for (const listener of listeners) listener({ error: false, command, write: (chunk: string) => (text += chunk) });
  return text;
}
