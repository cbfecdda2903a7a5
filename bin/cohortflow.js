#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx cohortflow …` works without a build step.
require('tsx/cjs');
require('../src/cli/main.ts');
