// Test-set results from the logits of trainer.predict: a 10×10 confusion matrix (table) and a
// grid of misclassified digits drawn on small canvases with predicted / true labels.

/** Index of the largest of the 10 logits of sample i. */
export function argmax(logits: Float32Array, i: number, classes = 10): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
  return best;
}

/** counts[t][p]: samples of true class t predicted as p. */
export function confusionMatrix(logits: Float32Array, labels: Uint32Array, count: number): number[][] {
  const counts = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  for (let i = 0; i < count; i++) counts[labels[i]!]![argmax(logits, i)]!++;
  return counts;
}

/** Renders the matrix as a table; cell shading grows with the count (blue: right, red: wrong). */
export function renderConfusion(container: HTMLElement, counts: number[][]): void {
  const table = document.createElement('table');
  table.className = 'confusion';
  const head = table.createTHead().insertRow();
  head.appendChild(document.createElement('th')).textContent = 't\\p';
  for (let p = 0; p < 10; p++) head.appendChild(document.createElement('th')).textContent = String(p);
  const body = table.createTBody();
  counts.forEach((row, t) => {
    const tr = body.insertRow();
    tr.appendChild(document.createElement('th')).textContent = String(t);
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((n, p) => {
      const td = tr.insertCell();
      td.textContent = String(n);
      const share = n / total;
      const alpha = t === p ? 0.15 + 0.6 * share : Math.min(0.8, 6 * share);
      if (n > 0) td.style.background = t === p ? `rgba(47,111,237,${alpha})` : `rgba(207,34,46,${alpha})`;
      td.title = `true ${t}, predicted ${p}: ${n}`;
    });
  });
  container.replaceChildren(table);
}

/**
 * Draws up to `max` misclassified images. `toByte` maps a normalized pixel back to 0–255
 * (the inverse of the preprocessing used for training).
 */
export function renderMistakes(
  container: HTMLElement,
  images: Float32Array,
  labels: Uint32Array,
  logits: Float32Array,
  count: number,
  toByte: (value: number) => number,
  max = 40,
): number {
  const figures: HTMLElement[] = [];
  let wrong = 0;
  for (let i = 0; i < count; i++) {
    const predicted = argmax(logits, i);
    if (predicted === labels[i]) continue;
    wrong++;
    if (figures.length >= max) continue;
    const canvas = document.createElement('canvas');
    canvas.width = 28;
    canvas.height = 28;
    const image = new ImageData(28, 28);
    for (let k = 0; k < 784; k++) {
      const v = toByte(images[i * 784 + k]!);
      image.data.set([v, v, v, 255], k * 4);
    }
    canvas.getContext('2d')!.putImageData(image, 0, 0);
    const figure = document.createElement('figure');
    const caption = document.createElement('figcaption');
    caption.innerHTML = `<b>${predicted}</b> / ${labels[i]}`;
    figure.title = `test image ${i}: predicted ${predicted}, true ${labels[i]}`;
    figure.append(canvas, caption);
    figures.push(figure);
  }
  container.replaceChildren(...figures);
  return wrong;
}
