import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { generateSigningKeyPem, keyringEntryOf, loadSigningKeyFile } from '../governance/proof-keys';
import { refreshProof, rollbackProof } from '../api/schemas/proofs';
import { callRoute } from './api-client';
import { print, write } from './output';

// Proofs and their keys: a decision for the `temporal` CLI, signed by the API for the caller,
// and the key pair the API signs with (docs/security.md: who holds which key, rotation).

const collect = (value: string, previous: string[] = []) => [...previous, value];

type ProofAnswer = Awaited<ReturnType<typeof callRoute<typeof refreshProof>>>;

function printProof(answer: ProofAnswer, json: boolean | undefined): void {
  if (json) return print(answer);
  write([
    `# proof for ${answer.workflowId}${answer.expiresAt ? `, good once until ${answer.expiresAt}` : ''}`,
    answer.commands.update,
    ...(answer.commands.signal
      ? ['# or, as a signal (no answer; an invalid one is ignored and audited):', answer.commands.signal]
      : []),
  ]);
}

export function registerProofCommands(program: Command): void {
  const find = (name: string) => program.commands.find((c) => c.name() === name) ?? program.command(name);

  find('refresh')
    .command('proof <workflowId>')
    .description('print a decision (or rollback) with proof of who you are, to send with `temporal workflow update`')
    .addOption(new Option('--decision <decision>', 'what you decide').choices(['approve', 'reject', 'request-changes']))
    .option('--rollback', 'a rollback of what the run published, in its watch window (needs --reason)')
    .option(
      '--cohort <id>',
      'a cohort it covers (repeat for several; default: every cohort waiting or published)',
      collect,
    )
    .option('--comment <text>', 'the decision comment, exactly as it will be sent')
    .option('--reason <text>', 'the rollback reason')
    .option('--json', 'the whole answer as JSON')
    .action(
      async (
        id: string,
        o: {
          decision?: 'approve' | 'reject' | 'request-changes';
          rollback?: boolean;
          cohort?: string[];
          comment?: string;
          reason?: string;
          json?: boolean;
        },
      ) => {
        if (!o.rollback === !o.decision) throw new Error('give either --decision or --rollback');
        const body = o.rollback
          ? { action: 'rollback' as const, reason: o.reason ?? '', cohorts: o.cohort }
          : { action: o.decision!, comment: o.comment, cohorts: o.cohort };
        printProof(await callRoute(refreshProof, { params: { id }, body }), o.json);
      },
    );

  find('rollbacks')
    .command('proof <workflowId>')
    .description("print a rollback run's decision with proof of who you are, to send with `temporal workflow update`")
    .addOption(
      new Option('--decision <decision>', 'what you decide').choices(['approve', 'reject']).makeOptionMandatory(),
    )
    .option('--comment <text>', 'the decision comment, exactly as it will be sent')
    .option('--json', 'the whole answer as JSON')
    .action(async (id: string, o: { decision: 'approve' | 'reject'; comment?: string; json?: boolean }) =>
      printProof(
        await callRoute(rollbackProof, { params: { id }, body: { decision: o.decision, comment: o.comment } }),
        o.json,
      ),
    );

  const keys = program.command('keys').description('the key pair that signs and checks proofs of decisions');
  keys
    .command('generate')
    .description('write a new Ed25519 signing key (0600) for the API; print the keyring entry for the workers')
    .requiredOption('--out <file>', 'where to write the private key (PEM); refused if it exists')
    .action((o: { out: string }) => {
      fs.writeFileSync(o.out, generateSigningKeyPem(), { mode: 0o600, flag: 'wx' });
      print(keyringEntryOf(loadSigningKeyFile(o.out)));
    });
  keys
    .command('public')
    .description('print the keyring entry (key id → public key) of an existing signing key, for DECISION_VERIFY_KEYS')
    .requiredOption('--key <file>', 'the private key (PEM)')
    .action((o: { key: string }) => print(keyringEntryOf(loadSigningKeyFile(o.key))));
}
