import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR as corpus } from '../../../test/support/corpus.js';
import { newTextOf } from './reply-text.models.js';

// Real reply bodies nobody here wrote (../shared/corpus): this file runs only where the corpus exists.
const githubReply = (name: string) => readFileSync(`${corpus}replies-email_reply_parser/emails/${name}`, 'utf8');
const willdurandReply = (name: string) => readFileSync(`${corpus}replies-willdurand/Fixtures/${name}`, 'utf8');

describe('newTextOf on real reply bodies', () => {
  it('cuts a top-posted reply at the "On ... wrote:" line above the quote', () => {
    expect(newTextOf(githubReply('email_1_3.txt'))).toBe('Oh thanks.\n\nHaving the function would be great.\n\n-Abhishek Kona');
  });

  it('keeps a bottom-posted answer written below the quoted question', () => {
    const text = newTextOf(githubReply('email_1_2.txt'));
    expect(text.startsWith('Hi,\n\nYou can list the keys for the bucket')).toBe(true);
    expect(text).toContain('would do it.');
    expect(text).not.toContain('wrote:');
    expect(text).not.toContain('Abhishek Kona');
  });

  it('keeps inline answers between quotes and the sender\'s "--" signature below them', () => {
    expect(newTextOf(githubReply('email_1_8.txt'))).toBe('I will reply under this one\n\nand under this.\n\n--\nHey there, this is my signature');
  });

  it('recognises an attribution the client wrapped over three lines', () => {
    expect(newTextOf(githubReply('email_1_6.txt'))).toBe('I get proper rendering as well.\n\nSent from a magnificent torch of pixels');
    expect(newTextOf(willdurandReply('email_thread.txt'))).toBe('This is new email reply in thread from bellow.');
  });

  it('cuts at "On ... wrote:" when the history below it is not quoted with ">"', () => {
    expect(newTextOf(willdurandReply('email_unquoted_reply.txt'))).toBe('This is my reply.');
  });

  it('cuts at an Outlook header block, bold or plain, and at an underscore separator', () => {
    expect(newTextOf(githubReply('email_2_1.txt'))).toBe('Outlook with a reply');
    expect(newTextOf(githubReply('email_2_2.txt'))).toBe('Outlook with a reply directly above line');
    expect(newTextOf(githubReply('email_2_3.txt'))).toBe('Outlook with a reply directly above line');
    expect(newTextOf(willdurandReply('email_w10_mail.txt'))).toBe(
      'Great thanks Bort, going for a test now.\nBraxton\n\nSent from Mail for Windows 10',
    );
  });

  it('does not take a sentence starting with "On" for an attribution', () => {
    const text = newTextOf(githubReply('greedy_on.txt'));
    expect(text.startsWith('On your remote host you can run:')).toBe(true);
    expect(text.endsWith('fails, the tunnel is not working.')).toBe(true);
  });

  it('keeps a "-- " signature: the sender\'s name and contact details are theirs', () => {
    expect(newTextOf(githubReply('correct_sig.txt'))).toBe('this is an email with a correct -- signature.\n\n-- \nrick');
    expect(newTextOf(willdurandReply('sig_no_empty_line.txt'))).toBe('this is an email with a signature with no empty line above.\n--\nrick');
    expect(newTextOf(willdurandReply('email_custom_quote_header.txt'))).toBe('Thank you!\n\n-- \nGyőrvári Gábor - Scr34m\nscr34m@gmail.com');
    expect(newTextOf(githubReply('email_sig_delimiter_in_middle_of_line.txt'))).toContain('kthxbai');
  });

  it('keeps a "Sent from my iPhone" line, and what the phone appended below it goes', () => {
    expect(newTextOf(githubReply('email_iPhone.txt'))).toBe('Here is another email\n\nSent from my iPhone');
    expect(newTextOf(githubReply('email_multi_word_sent_from_my_mobile_device.txt'))).toBe('Here is another email\n\nSent from my Verizon Wireless BlackBerry');
    expect(newTextOf(willdurandReply('email_15.txt')).endsWith('nec nibh.\n\nSent from my Wiko RIDGE FAB 4G')).toBe(true);
    expect(newTextOf(githubReply('email_sent_from_my_not_signature.txt'))).toBe(
      'Here is another email\n\nSent from my desk, is much easier then my mobile phone.',
    );
  });
});

describe('newTextOf in other languages and clients (willdurand fixtures)', () => {
  const firstParagraph = (name: string) => willdurandReply(name).replace(/\r\n/g, '\n').split('\n\n')[0]?.trim();

  it.each([
    ['email_norwegian_gmail.txt', 'Norwegian Gmail "... skrev Name <address\n>:"'],
    ['email_8.txt', 'Dutch "Op ... schreef ...:" wrapped over two lines'],
    ['email_9.txt', 'French webmail "Message du :" above "De :"'],
    ['email_10.txt', 'French Outlook "De :" / "Envoyé le :"'],
    ['email_12.txt', 'Dutch Outlook "Van:" / "Verzonden:"'],
    ['email_13.txt', 'Italian Outlook "Da:" / "Inviato:"'],
    ['email_16.txt', 'Polish "Dnia ... napisał(a):"'],
    ['email_22.txt', 'Chinese Outlook "发件人:" / "发送时间:"'],
    ['email_23.txt', 'Ukrainian "... написав:"'],
  ])('keeps only the new text of %s (%s)', (name) => {
    expect(newTextOf(willdurandReply(name))).toBe(firstParagraph(name));
  });

  it('cuts at a French "Le ... a écrit :" and a Hungarian "... írta:" attribution', () => {
    expect(newTextOf(willdurandReply('email_zimbra_free_fr.txt'))).toMatch(/Michael Scott$/);
    expect(newTextOf(willdurandReply('email_custom_quote_header.txt')).startsWith('Thank you!\n\n-- \n')).toBe(true);
    expect(newTextOf(willdurandReply('email_customer_quote_header_3.txt'))).toBe("bonjour,\nje n'ai pas eu de retour sur ma précision..\nmerci d'avance");
  });

  it('removes the Italian "Il ... ha scritto:" quote with its wrapped lines and keeps the signature and disclaimer below it', () => {
    const text = newTextOf(willdurandReply('email_7.txt'));
    expect(text.startsWith(firstParagraph('email_7.txt') ?? '-')).toBe(true);
    expect(text).not.toContain('ha scritto');
    expect(text).not.toContain('Dino ha risposto');
    expect(text.endsWith('tel 0123-456789 fax 0123-456789 e-mail info@client.it')).toBe(true);
  });

  it('keeps a "Something wrote:" line that has no date, address or opening word', () => {
    expect(newTextOf(willdurandReply('email_23_1.txt'))).toContain('Something wrote:');
  });
});

describe('newTextOf speed', () => {
  it('handles the 767 KB long-quote and the pathological bodies in well under a second', () => {
    const longQuote = githubReply('email_long_quote.txt');
    const pathological = githubReply('pathological.txt');
    const started = performance.now();
    const longText = newTextOf(longQuote);
    const pathologicalText = newTextOf(pathological);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(500);
    expect(longText.startsWith('Hi folks')).toBe(true);
    expect(pathologicalText).toBe(
      "I think you're onto something. I will try to fix the problem as soon as I\nget back to a computer.",
    );
  });
});
