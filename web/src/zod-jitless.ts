// Imported first by main.tsx, before any module that builds a zod schema
// (the AI SDK checks each stream chunk with zod, and builds its schemas as
// its modules load): a zod object schema, as it is built, asks whether
// `new Function` may run (to compile faster checks). The page's CSP
// (script-src 'self', no eval) says no, and the browser reports a violation
// for each window. jitless: zod never asks.
import { config } from 'zod';

config({ jitless: true });
