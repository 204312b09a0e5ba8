#!/usr/bin/env node
// The `kassa` command's entry (package.json "bin"). Only this file and server.ts read process.env.
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv, process.env);
