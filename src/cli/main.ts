// The `kassa` command's entry (package.json "bin"). Only this file and src/main.ts read process.env.
import { runCli } from './program.ts';

runCli(process.argv, process.env).then((code) => {
  process.exitCode = code;
});
