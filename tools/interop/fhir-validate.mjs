#!/usr/bin/env node
// The `fhir` package's R4 validator as an independent peer for the JSON FhirRisk emits (DESIGN §1), e.g. the
// OperationOutcome built by OperationOutcomeWriter. Reads one FHIR JSON resource from stdin (or a file argument) and
// prints {"valid": bool, "messages": [{"severity", "location", "message"}]}. Unexpected properties are errors.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Fhir } = require('fhir');

const source = process.argv[2] && process.argv[2] !== '-' ? process.argv[2] : 0;
const resource = JSON.parse(readFileSync(source, 'utf8'));
const result = new Fhir().validate(resource, { errorOnUnexpected: true });
const messages = result.messages.map((m) => ({ severity: m.severity, location: m.location, message: m.message }));
process.stdout.write(JSON.stringify({ valid: result.valid, messages }) + '\n');
