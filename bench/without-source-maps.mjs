// Loaded after tsx (`tsx --import this entry`): tsx turns Node's source maps on, and with them on Node looks for a
// source map in every function a workflow's sandbox compiles, which the SDK does on every promise it settles. The
// image runs `node dist/…` with them off, so a benchmarked service does too (docs/tuning.md, "Node's source maps off
// in the bench").
import process from 'node:process';

process.setSourceMapsEnabled(false);
