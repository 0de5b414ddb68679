import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth';
import { describe, expect, it } from 'vitest';
import { createMailauthVerifier } from './mailauth.sender-auth-driver.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicBase64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

/** Offline DNS: the DKIM key of acme.test and a reject DMARC policy; every other name does not exist. */
const zone: Record<string, string[][]> = {
  's1._domainkey.acme.test': [[`v=DKIM1; k=rsa; p=${publicBase64}`]],
  '_dmarc.acme.test': [['v=DMARC1; p=reject']],
};
async function resolver(name: string, type: string): Promise<string[][]> {
  const records = type === 'TXT' ? zone[name.toLowerCase()] : undefined;
  if (records) return records;
  throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
}

const message = (from: string) =>
  Buffer.from([`From: ${from}`, 'To: help@cloudsoft.test', 'Subject: SEV1 outage', 'Message-ID: <x1@acme.test>', 'Date: Wed, 25 Nov 2026 09:00:00 +0000', '', 'All down.', ''].join('\r\n'));

async function signed(raw: Buffer): Promise<Buffer> {
  // mailauth 4.13 signs from `signatureData`; its type declarations only describe the flat form, which signs nothing.
  const options = { signatureData: [{ signingDomain: 'acme.test', selector: 's1', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }] };
  const result = await dkimSign(raw, options as unknown as Parameters<typeof dkimSign>[1]);
  if (result.signatures.trim() === '') throw new Error(`DKIM signing produced no signature: ${JSON.stringify(result.errors)}`);
  return Buffer.concat([Buffer.from(result.signatures), raw]);
}

describe('verify mode: DKIM, SPF and DMARC checked by mailauth with an offline resolver', () => {
  const verifier = createMailauthVerifier({ mta: 'mx.cloudsoft.test', resolver });

  it('accepts mail signed by the From domain (DMARC passes through aligned DKIM)', async () => {
    expect(await verifier.verify(await signed(message('alice@acme.test')))).toMatchObject({ authentic: true });
  });

  it('rejects unsigned mail claiming the From domain', async () => {
    expect(await verifier.verify(message('alice@acme.test'))).toMatchObject({ authentic: false, reason: expect.stringMatching(/^dmarc=fail/) });
  });

  it('rejects a signed mail whose From was changed afterwards', async () => {
    const tampered = Buffer.from((await signed(message('alice@acme.test'))).toString().replace('From: alice@acme.test', 'From: ceo@acme.test'));
    expect(await verifier.verify(tampered)).toMatchObject({ authentic: false });
  });
});
