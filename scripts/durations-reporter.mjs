// A node:test reporter for scripts/run-tests.mjs: one line per top-level test or suite, naming the file
// it was declared in and how long it took, so a run can record what each file weighs.
export default async function* durations(source) {
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && event.data.file) {
      yield `${JSON.stringify({ file: event.data.file, ms: event.data.details.duration_ms })}\n`;
    }
  }
}
