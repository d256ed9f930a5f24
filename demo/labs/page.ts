// The Labs page: a contents list and one section per registered lab (title, explanation,
// controls, plots, Run button, status line). Runs are one at a time: every lab shares the
// page's GPU runtime, and SwiftShader has few cores to give. A lab's controls are disabled
// while its run waits or runs.
import type { GpuRuntime } from '../../src/index';
import type { Lab } from './lab';

/** A mounted section: run() is what its Run button does. */
export interface LabSection {
  readonly lab: Lab;
  readonly element: HTMLElement;
  /** Runs the lab (waiting for the runtime and for another lab's run) and resolves to its result. */
  run(): Promise<unknown>;
}

/** Builds the page into `root`; every Run waits for `runtime`. */
export function mountLabsPage(root: HTMLElement, labs: readonly Lab[], runtime: Promise<GpuRuntime>): Map<string, LabSection> {
  const nav = el('nav', 'contents');
  nav.setAttribute('aria-label', 'Labs');
  const list = nav.appendChild(el('ol'));
  root.append(nav);
  const sections = new Map<string, LabSection>();
  let queue: Promise<unknown> = Promise.resolve();
  for (const lab of labs) {
    const item = list.appendChild(el('li'));
    const link = item.appendChild(el('a'));
    link.href = `#${lab.id}`;
    link.textContent = lab.title;

    const section = root.appendChild(el('section', 'panel lab'));
    section.id = lab.id;
    section.setAttribute('aria-labelledby', `${lab.id}-title`);
    const title = section.appendChild(el('h2'));
    title.id = `${lab.id}-title`;
    title.textContent = lab.title;
    section.appendChild(el('p', 'explanation')).textContent = lab.explanation;
    const body = section.appendChild(el('div', 'lab-body'));
    const side = body.appendChild(el('div', 'lab-side'));
    const controls = side.appendChild(el('form', 'lab-controls'));
    controls.addEventListener('submit', (event) => event.preventDefault());
    const bar = side.appendChild(el('div', 'lab-run'));
    const button = bar.appendChild(el('button', 'primary'));
    button.type = 'button';
    button.textContent = 'Run';
    button.dataset.testid = `${lab.id}-run`;
    const status = bar.appendChild(el('p', 'status'));
    status.dataset.testid = `${lab.id}-status`;
    status.setAttribute('role', 'status');
    status.textContent = 'ready';
    const plots = body.appendChild(el('div', 'lab-plots'));
    const mounted = lab.mount({ controls, plots });

    const run = (): Promise<unknown> => {
      button.disabled = true;
      // The controls too: a change mid-run (e.g. another surface) would mix two settings in one run.
      const fields = [...controls.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')].filter((f) => !f.disabled);
      for (const f of fields) f.disabled = true;
      status.classList.remove('error');
      status.textContent = 'waiting…';
      delete section.dataset.result;
      const started = queue.then(async () => {
        const context = { runtime: await runtime, status: (text: string) => void (status.textContent = text) };
        const t0 = performance.now();
        status.textContent = 'running…';
        const result = await mounted.run(context);
        section.dataset.result = JSON.stringify(result); // what the run measured, for tests and scripts
        status.textContent = `done in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
        return result;
      });
      queue = started.catch(() => undefined);
      return started
        .catch((error: unknown) => {
          status.classList.add('error');
          status.textContent = error instanceof Error ? error.message : String(error);
          throw error;
        })
        .finally(() => {
          button.disabled = false;
          for (const f of fields) f.disabled = false;
        });
    };
    button.addEventListener('click', () => void run().catch(() => undefined)); // shown in the status line
    sections.set(lab.id, { lab, element: section, run });
  }
  return sections;
}

/** A table row of `cell` elements holding `texts`. */
export function tableRow(cell: 'th' | 'td', texts: readonly string[]): HTMLTableRowElement {
  const tr = el('tr');
  for (const text of texts) tr.appendChild(el(cell)).textContent = text;
  return tr;
}

/** A new element with an optional class list. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}
