// The draw-a-digit pad (pointer events: mouse, pen and touch), its MNIST-style preprocessing
// (ink cropped, scaled into a 20×20 box, centered by mass in 28×28) and the probability bars.

/** Strokes on a black canvas in white; calls onChange (the caller coalesces work) as ink lands. */
export class DrawPad {
  private readonly ctx: CanvasRenderingContext2D;
  private last: { x: number; y: number } | undefined;
  private inked = false;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly onChange: () => void,
  ) {
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    this.paintBlack(); // no onChange: the owner is still being constructed
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.last = this.point(e);
      this.stroke(this.last, this.last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.last) return;
      const p = this.point(e);
      this.stroke(this.last, p);
      this.last = p;
    });
    const end = () => (this.last = undefined);
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  get empty(): boolean {
    return !this.inked;
  }

  clear(): void {
    this.paintBlack();
    this.onChange();
  }

  private paintBlack(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.inked = false;
  }

  private point(e: PointerEvent): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - rect.left) * this.canvas.width) / rect.width, y: ((e.clientY - rect.top) * this.canvas.height) / rect.height };
  }

  private stroke(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const { ctx } = this;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = this.canvas.width / 12; // about MNIST's stroke width once scaled to 20 px
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
    this.inked = true;
    this.onChange();
  }

  /** The drawing as 784 intensities in [0, 1], preprocessed like MNIST; undefined if blank. */
  toMnist(): Float32Array | undefined {
    const { width, height } = this.canvas;
    const data = this.ctx.getImageData(0, 0, width, height).data;
    let [x0, y0, x1, y1] = [width, height, -1, -1];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (data[(y * width + x) * 4]! > 0) {
          x0 = Math.min(x0, x);
          x1 = Math.max(x1, x);
          y0 = Math.min(y0, y);
          y1 = Math.max(y1, y);
        }
      }
    }
    if (x1 < 0) return undefined;
    // Area-average the ink's bounding box into a 20×20 box (aspect kept), as MNIST was made.
    const scale = 20 / Math.max(x1 - x0 + 1, y1 - y0 + 1);
    const box = new Float32Array(20 * 20);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const v = data[(y * width + x) * 4]! / 255;
        if (v === 0) continue;
        const bx = Math.min(19, Math.floor((x - x0 + 0.5) * scale));
        const by = Math.min(19, Math.floor((y - y0 + 0.5) * scale));
        box[by * 20 + bx]! += v * scale * scale;
      }
    }
    // Shift so that the center of mass lands on the center of the 28×28 image.
    let [mass, mx, my] = [0, 0, 0];
    box.forEach((v, i) => {
      mass += v;
      mx += v * ((i % 20) + 0.5);
      my += v * (Math.floor(i / 20) + 0.5);
    });
    const ox = Math.round(14 - mx / mass);
    const oy = Math.round(14 - my / mass);
    const out = new Float32Array(784);
    box.forEach((v, i) => {
      const x = (i % 20) + ox;
      const y = Math.floor(i / 20) + oy;
      if (x >= 0 && x < 28 && y >= 0 && y < 28) out[y * 28 + x] = Math.min(1, v);
    });
    return out;
  }
}

/** Shows 784 intensities in [0, 1] on a 28×28 canvas. */
export function drawPreview(canvas: HTMLCanvasElement, pixels: Float32Array | undefined): void {
  const image = new ImageData(28, 28);
  for (let k = 0; k < 784; k++) {
    const v = Math.round(255 * (pixels?.[k] ?? 0));
    image.data.set([v, v, v, 255], k * 4);
  }
  canvas.getContext('2d')!.putImageData(image, 0, 0);
}

/** Softmax of the logits on the CPU (10 numbers), stable against overflow. */
export function softmax(logits: Float32Array): Float32Array {
  const max = Math.max(...logits);
  const exps = logits.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / sum);
}

/** One bar per digit; `probs` undefined clears them. */
export function renderBars(list: HTMLOListElement, probs: Float32Array | undefined): void {
  if (list.children.length !== 10) {
    list.replaceChildren(
      ...Array.from({ length: 10 }, (_, d) => {
        const li = document.createElement('li');
        li.dataset.digit = String(d);
        li.innerHTML = `<span>${d}</span><span class="track"><span class="fill"></span></span><span class="pct" data-testid="digit-probability">–</span>`;
        return li;
      }),
    );
  }
  const best = probs ? probs.indexOf(Math.max(...probs)) : -1;
  [...list.children].forEach((li, d) => {
    const p = probs?.[d];
    (li.querySelector('.fill') as HTMLElement).style.width = p === undefined ? '0' : `${(100 * p).toFixed(1)}%`;
    li.querySelector('.pct')!.textContent = p === undefined ? '–' : `${(100 * p).toFixed(1)}%`;
    li.classList.toggle('top', d === best);
  });
}
