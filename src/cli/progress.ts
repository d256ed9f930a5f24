// A one-line progress bar for terminals (stderr), redrawn in place; plain lines when the
// stream is not a TTY so logs stay readable.

export class ProgressBar {
  private lastDraw = 0;

  constructor(
    private readonly stream: { write(text: string): unknown; isTTY?: boolean },
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number, detail: string, force = false): void {
    const now = performance.now();
    if (!force && now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const width = 24;
    const filled = Math.round((done / this.total) * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const line = `${this.label} ${bar} ${done}/${this.total} ${detail}`;
    if (this.stream.isTTY) this.stream.write(`\r${line}\x1b[K`);
    else if (force) this.stream.write(`${line}\n`);
  }

  finish(detail: string): void {
    this.update(this.total, detail, true);
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
