// A node:test reporter for scripts/run-tests.mjs: one line per top-level test or suite, naming the test
// file it was declared in and how long it took, so a run can record what each file weighs.
const isTestFile = (file) => /\.test\.[cm]?[jt]s$/.test(file ?? '');

export default async function* durations(source) {
  // A process reports a top-level test after everything in it, so what came since the last one is inside it.
  let inside = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { file, nesting, details } = event.data;
    if (nesting > 0) {
      inside.push({ file });
      continue;
    }
    // A suite a helper declares (forEachEngine) weighs for the test file whose tests it holds.
    const counted = isTestFile(file) ? file : inside.find((t) => isTestFile(t.file))?.file;
    inside = [];
    if (counted) yield `${JSON.stringify({ file: counted, ms: details.duration_ms })}\n`;
  }
}
