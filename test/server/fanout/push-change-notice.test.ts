import { afterAll, beforeAll, describe, it } from 'vitest';
import { startTestServer, syncBackends, type TestServer } from '../../helpers/sync-server.ts';
import { action, client, openStream } from '../fixtures.ts';

/**
 * A push that writes pokes the streams of every workspace it wrote, whichever way it was
 * written: a batch of creates (one statement carrying its change notice), an edit (the
 * notice rides on the update statement), a batch of a create and an edit (the notice rides
 * on the edit and must name the create's workspace too). The write goes through instance
 * `b`, the streams are on instance `a`: only the notice can tell `a`.
 */
for (const backend of await syncBackends()) {
  describe(`change notice of a push (${backend})`, () => {
    let a: TestServer;
    let b: TestServer;
    beforeAll(async () => {
      a = await startTestServer({ backend });
      b = await startTestServer({ backend });
    });
    afterAll(async () => {
      await a.close();
      await b.close();
    });

    const streams = async (...workspaces: string[]) => {
      const opened = await Promise.all(workspaces.map(async (ws) => openStream(a.url, 'brainActions', await a.token([ws]))));
      await Promise.all(opened.map((stream) => stream.next('RESYNC')));
      return opened;
    };

    it('a batch of creates pokes each workspace it wrote', async () => {
      const [one, two] = await streams('n1', 'n2');
      const writer = client(b.url, await b.token(['n1', 'n2']));
      await writer.push('brainActions', [{ newDocumentState: action('n1') }, { newDocumentState: action('n2') }]);
      await Promise.all([one!.next('CHANGE'), two!.next('CHANGE')]);
      await Promise.all([one!.close(), two!.close()]);
    });

    it('an edit pokes its workspace', async () => {
      const [stream] = await streams('e1');
      const writer = client(b.url, await b.token(['e1']));
      const doc = action('e1');
      await writer.push('brainActions', [{ newDocumentState: doc }]);
      await stream!.next('CHANGE');
      await writer.push('brainActions', [{ newDocumentState: { ...doc, reason: 'edited' }, assumedMasterState: doc }]);
      await stream!.next('CHANGE');
      await stream!.close();
    });

    it('a batch of a create in one workspace and an edit in another pokes both', async () => {
      const [created, edited] = await streams('m1', 'm2');
      const writer = client(b.url, await b.token(['m1', 'm2']));
      const doc = action('m2');
      await writer.push('brainActions', [{ newDocumentState: doc }]);
      await edited!.next('CHANGE');
      await writer.push('brainActions', [
        { newDocumentState: action('m1') },
        { newDocumentState: { ...doc, reason: 'edited' }, assumedMasterState: doc },
      ]);
      await Promise.all([created!.next('CHANGE'), edited!.next('CHANGE')]);
      await Promise.all([created!.close(), edited!.close()]);
    });
  });
}
