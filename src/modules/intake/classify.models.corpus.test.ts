import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR } from '../../../test/support/corpus.js';
import { classifyMessage, type MailKind } from './classify.models.js';
import { parseRawMessage } from './parse.js';

// Real mail nobody here wrote (../shared/corpus): this file runs only where the corpus exists.
const sisimai = `${CORPUS_DIR}bounces-sisimai/`;

describe('classifyMessage on the MIME corpora', () => {
  const corpus = CORPUS_DIR;
  const reports = new Set([
    'mime-mailparser/delivery-status.eml',
    'mime-mimekit/bounce.txt',
    'mime-mimekit/delivery-status.txt',
    'mime-mimekit/delivery-status2.txt',
    'mime-mimekit/delivery-status-no-blank-line.txt',
    'mime-mimekit/delivery-status-multiple-blank-lines.txt',
    'mime-mimekit/delivery-status.anonymized.eml',
    'mime-mimekit/disposition-notification.txt',
    'mime-mimekit/disposition-notification.anonymized.eml',
    'mime-mimekit/feedback-report.txt',
  ]);

  it('leaves every person-written test message ordinary and recognises every report', async () => {
    const wrong: string[] = [];
    let checked = 0;
    for (const folder of ['mime-mailparser', 'mime-mimekit']) {
      for (const name of readdirSync(`${corpus}${folder}`).filter((file) => file !== 'LICENSE')) {
        const { kind, reason } = classifyMessage(await parseRawMessage(readFileSync(`${corpus}${folder}/${name}`)));
        const isReport = reports.has(`${folder}/${name}`);
        if ((kind === 'ordinary') === isReport) wrong.push(`${folder}/${name}: ${kind} (${reason})`);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(40);
    expect(wrong).toEqual([]);
  });
});

describe('classifyMessage on the sisimai corpus', () => {
  type Expectation = { recipients: { reason: string; deliveryStatus: string }[] };
  const expected = (JSON.parse(readFileSync(`${sisimai}EXPECTED.json`, 'utf8')) as { expected: Record<string, Expectation> }).expected;
  // sisimai's reasons: vacation = auto-reply, feedback = abuse report, delivered = success DSN, all else bounces.
  const kindOf = ({ recipients }: Expectation): MailKind => {
    const reasons = recipients.map((recipient) => recipient.reason);
    if (reasons.includes('vacation')) return 'auto-reply';
    if (reasons.includes('feedback')) return 'feedback';
    if (reasons.includes('delivered')) return 'delivery-notice';
    return 'bounce';
  };

  it('recognises nearly every labelled report in maildir/bsd and its CRLF copies in maildir/dos', async () => {
    const counts = { truePositive: 0, falseNegative: 0, falsePositive: 0, trueNegative: 0 };
    const perKind = new Map<MailKind, { right: number; total: number }>();
    const misses: string[] = [];
    const statusAgreement = { same: 0, compared: 0 };
    for (const folder of ['bsd', 'dos']) {
      for (const name of readdirSync(`${sisimai}maildir/${folder}`)) {
        const expectation = expected[name];
        if (!expectation) continue;
        const want = kindOf(expectation);
        const got = classifyMessage(await parseRawMessage(readFileSync(`${sisimai}maildir/${folder}/${name}`)));
        if (got.kind === 'ordinary') counts.falseNegative += 1;
        else counts.truePositive += 1;
        const tally = perKind.get(want) ?? { right: 0, total: 0 };
        tally.total += 1;
        if (got.kind === want) tally.right += 1;
        else misses.push(`${folder}/${name}: want ${want}, got ${got.kind} (${got.reason})`);
        perKind.set(want, tally);
        const statusClass = expectation.recipients[0]?.deliveryStatus.charAt(0);
        if (got.kind === 'bounce' && got.permanent !== undefined && (statusClass === '4' || statusClass === '5')) {
          statusAgreement.compared += 1;
          if (got.permanent === (statusClass === '5')) statusAgreement.same += 1;
        }
      }
    }
    const negatives: Record<string, MailKind> = {};
    for (const name of readdirSync(`${sisimai}maildir/not`)) {
      const got = classifyMessage(await parseRawMessage(readFileSync(`${sisimai}maildir/not/${name}`)));
      negatives[name] = got.kind;
      if (got.kind === 'ordinary') counts.trueNegative += 1;
      else counts.falsePositive += 1;
    }
    const recall = counts.truePositive / (counts.truePositive + counts.falseNegative);
    const precision = counts.truePositive / (counts.truePositive + counts.falsePositive);
    const accuracy = Object.fromEntries([...perKind].map(([kind, { right, total }]) => [kind, `${right}/${total}`]));
    console.log('non-ordinary', { ...counts, recall: recall.toFixed(4), precision: precision.toFixed(4) });
    console.log('per-kind accuracy', accuracy);
    console.log('permanent agrees with the class of sisimai deliveryStatus', `${statusAgreement.same}/${statusAgreement.compared}`);
    console.log('misses', misses);

    expect(counts.truePositive + counts.falseNegative).toBeGreaterThan(650);
    expect(recall).toBeGreaterThanOrEqual(0.99);
    expect(precision).toBeGreaterThanOrEqual(0.99);
    for (const [kind, { right, total }] of perKind) {
      expect(right / total, kind).toBeGreaterThanOrEqual(kind === 'bounce' ? 0.99 : 1);
    }
    expect(statusAgreement.same / statusAgreement.compared).toBeGreaterThanOrEqual(0.97);
    expect(negatives['is-not-bounce-01.eml']).toBe('ordinary');
    expect(negatives['is-not-bounce-02.eml']).toBe('ordinary');
    // sisimai files this one under "not a bounce", yet it comes from postmaster@ with Return-Path <> and
    // Auto-Submitted and says "rejected ... reject reason: Mailbox full": for a helpdesk it is a bounce.
    expect(negatives['rb-issue-368-bug.eml']).toBe('bounce');
  });
});
