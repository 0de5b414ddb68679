import type { Severity } from '../desk/severity.models.js';

export type EngineerCommand =
  | { kind: 'note' }
  | { kind: 'severity'; severity: Severity }
  | { kind: 'pending' }
  | { kind: 'resolve' }
  | { kind: 'close' }
  | { kind: 'assign-me' }
  /** `#participant add ADDR` / `#participant remove ADDR`; `address` undefined when ADDR is not an address. */
  | ParticipantCommand;

export type ParticipantCommand = { kind: 'participant'; action: 'add' | 'remove'; address: string | undefined };

export type EngineerReply = {
  commands: EngineerCommand[];
  /** True when `#note` was given: the reply is stored for engineers only and never relayed. */
  internal: boolean;
  /** The text without the command lines, as it is stored and relayed. */
  text: string;
};

// One command per line, alone on it (surrounding blanks allowed). `#severity` takes SEV1..SEV4 (also "Sev 2").
const COMMAND_LINE = /^#(note|pending|resolve|close|assign[ \t]+me|severity[ \t]+sev[ \t]*([1-4]))$/i;
// `#note` followed by text on the same line ("#note rollback done by hand") is a note too: engineers write it
// that way, and reading it as plain text would send an internal remark to the customer. Fail towards not sending.
const NOTE_WITH_TEXT = /^#note[ \t:]+([^\s:].*)$/i;
// `#participant add bob@partner.example` (also `<bob@...>` or `Bob <bob@...>`): bounded, no nested quantifiers.
const PARTICIPANT_LINE = /^#participants?[ \t]+(add|remove)[ \t]+(.{1,320})$/i;
const ADDRESS = /<?([^\s<>@",;]{1,64}@[a-z0-9.-]{1,253}\.[a-z0-9-]{2,63})>?$/i;

/** A `#participant add|remove ADDR` line, for engineers' and the requester's mail alike. */
export function participantCommandOf(line: string): ParticipantCommand | undefined {
  const match = PARTICIPANT_LINE.exec(line.trim());
  if (!match) return undefined;
  const address = ADDRESS.exec((match[2] ?? '').trim())?.[1]?.toLowerCase();
  return { kind: 'participant', action: (match[1] ?? '').toLowerCase() === 'add' ? 'add' : 'remove', address };
}

/**
 * Reads the commands of an engineer's reply from its new text (never from quoted history, so a quoted
 * `#close` does nothing). Only whole lines count; an unknown `#word` line, or a command inside a sentence,
 * stays plain text. Mail from anyone else is not passed here: for customers `#close` is just text.
 */
export function parseEngineerReply(newText: string): EngineerReply {
  const commands: EngineerCommand[] = [];
  const kept: string[] = [];
  for (const line of newText.split(/\r\n|\r|\n/)) {
    const participant = participantCommandOf(line);
    if (participant) {
      commands.push(participant);
      continue;
    }
    const note = NOTE_WITH_TEXT.exec(line.trim());
    if (note) {
      commands.push({ kind: 'note' });
      kept.push(note[1] ?? '');
      continue;
    }
    const match = COMMAND_LINE.exec(line.trim());
    if (!match) {
      kept.push(line);
      continue;
    }
    const word = (match[1] ?? '').toLowerCase();
    if (word === 'note') commands.push({ kind: 'note' });
    else if (word === 'pending') commands.push({ kind: 'pending' });
    else if (word === 'resolve') commands.push({ kind: 'resolve' });
    else if (word === 'close') commands.push({ kind: 'close' });
    else if (word.startsWith('assign')) commands.push({ kind: 'assign-me' });
    else commands.push({ kind: 'severity', severity: `SEV${match[2]}` as Severity });
  }
  return { commands, internal: commands.some((command) => command.kind === 'note'), text: kept.join('\n').trim() };
}
