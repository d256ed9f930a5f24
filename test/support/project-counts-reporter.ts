// Vitest reporter that prints each project's test counts (node and browser) and a final
// plain "tests: N passed, N failed, N skipped" line after the default summary.
import type { Reporter, TestModule } from 'vitest/node';

type Counts = { passed: number; failed: number; skipped: number };

export default class ProjectCountsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const byProject = new Map<string, Counts>();
    const total: Counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      const name = module.project.name || 'default';
      const counts = byProject.get(name) ?? { passed: 0, failed: 0, skipped: 0 };
      byProject.set(name, counts);
      // A file that failed to load has no tests but must still count as a failure.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) {
        counts.failed++;
        total.failed++;
      }
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        const key = state === 'passed' ? 'passed' : state === 'failed' ? 'failed' : 'skipped';
        counts[key]++;
        total[key]++;
      }
    }
    const line = (c: Counts) => `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
    console.log('');
    for (const [name, counts] of [...byProject].sort()) console.log(`project ${name}: ${line(counts)}`);
    console.log(`tests: ${line(total)}`);
  }
}
