#!/usr/bin/env node
// Committed so that npm links the command before the first build.
import '../dist/bin.js';
