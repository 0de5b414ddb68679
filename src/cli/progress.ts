/**
 * A progress bar on stderr for long commands (users import, reprocess, ingest of many files), drawn only when
 * stderr is a terminal: redirected output and `--json` stay clean. Lines printed while it runs go above it.
 */

/** `label [########          ] 40/100` */
export function renderProgressBar({ done, total, label, width = 30 }: { done: number; total: number; label: string; width?: number }): string {
  const fraction = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const filled = Math.round(fraction * width);
  return `${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`;
}

export type Progress = {
  update(done: number): void;
  /** Prints a line through `write` (stdout or stderr), keeping the bar below it. */
  line(write: (text: string) => void, text: string): void;
  /** Removes the bar. */
  done(): void;
};

const CLEAR_LINE = '\r\x1b[2K';

export function createProgress({ stream, total, label, enabled = Boolean(stream.isTTY) }: { stream: Pick<NodeJS.WriteStream, 'write' | 'isTTY'>; total: number; label: string; enabled?: boolean }): Progress {
  let current = 0;
  let drawn = false;
  let lastDrawAt = 0;
  const draw = () => {
    stream.write(`${CLEAR_LINE}${renderProgressBar({ done: current, total, label })}`);
    drawn = true;
    lastDrawAt = Date.now();
  };
  const clear = () => {
    if (drawn) stream.write(CLEAR_LINE);
    drawn = false;
  };
  return {
    update(done) {
      current = done;
      // At most ~20 redraws a second; always the last one.
      if (enabled && (done >= total || Date.now() - lastDrawAt >= 50)) draw();
    },
    line(write, text) {
      if (!enabled) return write(text);
      clear();
      write(text);
      draw();
    },
    done() {
      if (enabled) clear();
    },
  };
}
