import { describe, expect, it } from 'vitest';
import { newTextOf } from './reply-text.models.js';

describe('newTextOf on constructed bodies', () => {
  it('cuts at an "-----Original Message-----" line', () => {
    const body = 'Still broken after the restart.\r\n\r\n-----Original Message-----\r\nFrom: Support\r\nSEV1 resolved';
    expect(newTextOf(body)).toBe('Still broken after the restart.');
  });

  it('keeps a "From:" line in prose that no Sent: or Date: line follows', () => {
    const body = 'The alert came\nFrom: our monitoring system\nand then stopped.';
    expect(newTextOf(body)).toBe(body);
  });

  it('cuts at German "Am ... schrieb ...:" and Spanish "El ... escribió:" above unquoted history', () => {
    expect(newTextOf('Immer noch kaputt.\n\nAm 25.11.2026 um 09:00 schrieb Alice <alice@acme.test>:\nSEV1 alles down')).toBe('Immer noch kaputt.');
    expect(newTextOf('Sigue fallando.\n\nEl mié, 25 nov 2026 a las 9:00, Alice (<alice@acme.test>) escribió:\n> SEV1')).toBe('Sigue fallando.');
  });

  it('keeps the answers a French reply writes between the quotes under "Le ... a écrit :"', () => {
    const body = [
      'Bonjour,',
      '',
      'Toujours en panne après le redémarrage.',
      '',
      'Le lun. 3 mars 2025 à 10:00, Support Cloudsoft <help@cloudsoft.test> a écrit :',
      '> Avez-vous redémarré le service ?',
      '',
      'Oui, deux fois.',
      '',
      '> Quelle version ?',
      '',
      'La 4.2.',
    ].join('\r\n');
    expect(newTextOf(body)).toBe('Bonjour,\n\nToujours en panne après le redémarrage.\n\nOui, deux fois.\n\nLa 4.2.');
  });

  it('does not take prose ending in "wrote:" for an attribution', () => {
    const body = 'Here is what I wrote:\nthe job stopped.';
    expect(newTextOf(body)).toBe(body);
  });

  it('returns an empty string for a reply that only quotes', () => {
    expect(newTextOf('> just the quote\n> nothing else\n')).toBe('');
    expect(newTextOf('')).toBe('');
  });

  it('keeps the signature below "-- " and the "Sent from my iPhone" line, and removes the quote under them', () => {
    const body = 'Restarted it, works now.\n\n-- \nAlice Martin\nACME Ops, +49 30 1234567\n\nSent from my iPhone\n\nOn 25 Nov 2026, at 09:00, Cloudsoft Support <help@cloudsoft.test> wrote:\n\n> SEV1 ticket CS-1';
    expect(newTextOf(body)).toBe('Restarted it, works now.\n\n-- \nAlice Martin\nACME Ops, +49 30 1234567\n\nSent from my iPhone');
  });

  it.each([
    ['Chinese Gmail', 'Alice <alice@acme.test> 于2026年11月25日周三 09:00写道：'],
    ['Chinese Apple Mail', '在 2026年11月25日，上午9:00，Alice <alice@acme.test> 写道：'],
    ['Japanese Apple Mail', '2026/11/25 9:00、Alice <alice@acme.test>のメール:'],
    ['Japanese Gmail', '2026年11月25日(水) 9:00 Alice <alice@acme.test>:'],
    ['Portuguese Gmail', 'Em qua., 25 de nov. de 2026 às 09:00, Alice <alice@acme.test> escreveu:'],
    ['Dutch Gmail', 'Op wo 25 nov 2026 om 09:00 schreef Alice <alice@acme.test>:'],
    ['Yahoo', 'On Wednesday, November 25, 2026, 09:00:00 AM GMT+1, Alice <alice@acme.test> wrote:'],
    ['Sparrow', 'On Wednesday, 25 November 2026 at 09:00, Alice wrote:'],
    ['German Thunderbird', 'Am 25.11.26 um 09:00 schrieb Alice:'],
    ['French Gmail', 'Le lun. 3 mars 2025 à 10:00, Jean Dupont <jean@acme.test> a écrit :'],
    ['French Thunderbird', 'Le 03/03/2025 à 10:00, Jean Dupont a écrit :'],
    ['Dutch Thunderbird', 'Op 03-03-2025 om 10:00 schreef Jan de Vries:'],
    ['Dutch Apple Mail', 'Op 3 mrt. 2025 om 10:00 heeft Jan de Vries <jan@acme.test> het volgende geschreven:'],
    ['Portuguese Apple Mail', 'Em 3 de mar. de 2025, à(s) 10:00, João Silva <joao@acme.test> escreveu:'],
    ['Chinese (traditional) Gmail', 'Alice <alice@acme.test> 於 2025年3月3日 週一 上午10:00寫道：'],
    ['Chinese Foxmail', '在 2025-03-03 10:00:00，"Alice" <alice@acme.test> 写道：'],
    ['Japanese Gmail with a Japanese name', '2025年3月3日(月) 10:00 山田太郎 <taro@acme.test>:'],
  ])('removes the quote under a %s attribution line', (_client, attribution) => {
    expect(newTextOf(`Danke, gelöst.\n\n${attribution}\n\n> old text\n> SEV1`)).toBe('Danke, gelöst.');
    expect(newTextOf(`Danke, gelöst.\n\n${attribution}\nold unquoted text`)).toBe('Danke, gelöst.');
  });

  it.each([
    ['Japanese Outlook', '差出人: Cloudsoft Support <help@cloudsoft.test>', '送信日時: 2026年11月25日 9:00'],
    ['Portuguese Outlook', 'De: Cloudsoft Support <help@cloudsoft.test>', 'Enviado: quarta-feira, 25 de novembro de 2026 09:00'],
    ['Spanish Outlook', 'De: Cloudsoft Support <help@cloudsoft.test>', 'Enviado el: miércoles, 25 de noviembre de 2026 9:00'],
    ['German Outlook', 'Von: Cloudsoft Support <help@cloudsoft.test>', 'Gesendet: Mittwoch, 25. November 2026 09:00'],
    ['French Outlook', 'De : Cloudsoft Support <help@cloudsoft.test>', 'Envoyé : lundi 3 mars 2025 10:00'],
    ['Dutch Outlook', 'Van: Cloudsoft Support <help@cloudsoft.test>', 'Verzonden: maandag 3 maart 2025 10:00'],
    ['Chinese Outlook', '发件人: Cloudsoft Support <help@cloudsoft.test>', '发送时间: 2025年3月3日 10:00'],
  ])('cuts at a %s header block', (_client, from, sent) => {
    expect(newTextOf(`Fixed, thanks.\nAlice\n\n________________________________\n${from}\n${sent}\nSubject: CS-1\n\nold text`)).toBe('Fixed, thanks.\nAlice');
  });

  it('cuts a Mailman footer but keeps a company disclaimer below the signature', () => {
    expect(newTextOf('Works.\n\n_______________________________________________\nops mailing list\nops@lists.acme.test')).toBe('Works.');
    expect(newTextOf('Works.\n-- \nAlice\n____________________\nConfidential: for the addressee only.')).toBe('Works.\n-- \nAlice\n____________________\nConfidential: for the addressee only.');
  });

  it('does not take "2026-11-25 the job logged <error>:" followed by log lines for an attribution', () => {
    const body = 'Log:\n2026-11-25 the job logged <error>:\nENOSPC on /var';
    expect(newTextOf(body)).toBe(body);
  });
});
