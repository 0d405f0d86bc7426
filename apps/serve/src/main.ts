// serve: embeddings and cluster ids for new item images (start: the HTTP service; batch: a folder).
// Commands, flags and config keys: `serve help` (SERVE_CLI in ./definition; the command-line
// convention is runStageCli's). The HTTP API is in server.ts and apps/serve/README.md.
import { runStageCli } from '@courier/runtime';
import { SERVE_CLI } from './definition';

void runStageCli(SERVE_CLI, process.argv.slice(2));
