import { describe, expect, it } from 'vitest';
import { chooseConfigFile } from './config.path.js';

const none = () => false;

describe('which configuration file a command reads', () => {
  it('takes --config first, then TICKETD_CONFIG, then ./ticketd.yaml, then /etc/ticketd/ticketd.yaml', () => {
    const all = () => true;
    expect(chooseConfigFile({ given: 'mine.yaml', env: { TICKETD_CONFIG: 'env.yaml' }, exists: all })).toEqual({ ok: true, file: 'mine.yaml', origin: 'option' });
    expect(chooseConfigFile({ given: undefined, env: { TICKETD_CONFIG: 'env.yaml' }, exists: all })).toEqual({ ok: true, file: 'env.yaml', origin: 'TICKETD_CONFIG' });
    expect(chooseConfigFile({ given: undefined, env: {}, exists: all })).toEqual({ ok: true, file: './ticketd.yaml', origin: 'default' });
    expect(chooseConfigFile({ given: undefined, env: {}, exists: (file) => file === '/etc/ticketd/ticketd.yaml' })).toEqual({ ok: true, file: '/etc/ticketd/ticketd.yaml', origin: 'default' });
  });

  it('uses a file named by the option or the variable even when it is missing, so reading it says so', () => {
    expect(chooseConfigFile({ given: undefined, env: { TICKETD_CONFIG: '/nowhere.yaml' }, exists: none })).toMatchObject({ ok: true, file: '/nowhere.yaml' });
  });

  it('says every place it looked when there is no file at all', () => {
    expect(chooseConfigFile({ given: undefined, env: {}, exists: none })).toEqual({
      ok: false,
      message: 'no configuration file: give --config FILE, set TICKETD_CONFIG, or create ./ticketd.yaml or /etc/ticketd/ticketd.yaml',
    });
  });
});
