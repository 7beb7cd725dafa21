import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { lastCall, mockBackend, OFFICER_MAY, session, sessionAs } from '../test/ipc';
import Ceremony from './Ceremony.svelte';

const plan = {
  name: 'Release key 2027',
  script_sha256: 'ab'.repeat(32),
  participants: [
    { operator: 'alice', key: 'alice-custodian' },
    { operator: 'cora', key: 'cora-custodian' },
  ],
  steps: [
    { number: 1, title: 'Generate the release key', act: 'generate-key', role: 'custodian', quorum: 2 },
    { number: 2, title: 'export-public-key', act: 'export-public-key', role: 'custodian', quorum: 1 },
  ],
};
const outcome = {
  name: 'Release key 2027',
  record: '/media/c/release-key-2027.ceremony.json',
  sheet: '/media/c/release-key-2027.ceremony.html',
  steps: [
    {
      number: 1, act: 'generate-key', title: 'Generate the release key', role: 'custodian', quorum: 2, operator: 'alice',
      consenting: ['alice', 'cora'], time: '2026-12-07T10:00:00Z', token_serial: 'a1b2', key: { label: 'release-2027', key_id: 'KEYID', algorithm: 'ecdsa-p256', attributes: {} },
      outputs: [], previous: '',
    },
  ],
};

describe('Ceremony', () => {
  it('shows who must act at each step, then runs with the other participant consenting', async () => {
    const calls = mockBackend({ ceremony_plan: plan, run_ceremony: outcome });
    render(Ceremony, { session });
    await fireEvent.input(screen.getByTestId('ceremony-script'), { target: { value: '/media/c/script.toml' } });
    await fireEvent.click(screen.getByTestId('ceremony-load'));
    await waitFor(() => expect(screen.getByTestId('ceremony-steps')).toBeTruthy());
    expect(screen.getByTestId('ceremony-step-1').textContent).toContain('with 2 custodians present');
    expect(screen.getByTestId('ceremony-step-2').textContent).toContain('with 1 custodian present');
    // The other participant is offered for the consent.
    expect((screen.getByTestId('ceremony-consent-name') as HTMLInputElement).value).toBe('cora');
    await fireEvent.input(screen.getByTestId('ceremony-output'), { target: { value: '/media/c' } });
    await fireEvent.input(screen.getByTestId('ceremony-consent-pass'), { target: { value: 'cora passphrase' } });
    await fireEvent.input(screen.getByTestId('ceremony-key-pass'), { target: { value: 'key pass' } });
    await fireEvent.input(screen.getByTestId('ceremony-pin'), { target: { value: '123456' } });
    await fireEvent.click(screen.getByTestId('ceremony-run'));
    await waitFor(() => expect(screen.getByTestId('ceremony-result').textContent).toContain('1 steps done and signed'));
    expect(lastCall(calls, 'run_ceremony').payload).toEqual({
      script: '/media/c/script.toml', output: '/media/c', consent: { name: 'cora', passphrase: 'cora passphrase' },
      passphrase: 'key pass', pin: '123456', soPin: null, newPin: null,
    });
    expect(screen.getByTestId('ceremony-record').textContent).toBe(outcome.record);
    // The secrets are not kept in the form.
    expect((screen.getByTestId('ceremony-pin') as HTMLInputElement).value).toBe('');
  });

  it('a release officer is told the role it needs', () => {
    mockBackend({});
    render(Ceremony, { session: sessionAs('rita', ['release-officer'], OFFICER_MAY) });
    expect(screen.getByTestId('ceremony-role-note').textContent).toContain('custodian');
    expect((screen.getByTestId('ceremony-load') as HTMLButtonElement).disabled).toBe(true);
  });
});
