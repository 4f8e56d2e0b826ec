import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePodDirName, parsePodLogPath } from '../../../../src/agent/discovery/pod-path.js';

const UID = '0f2a5c8e-1b3d-4e5f-8a9b-0c1d2e3f4a5b';

test('a kubelet pod log path yields namespace, pod, uid, container and restart count', () => {
  assert.deepEqual(parsePodLogPath(`/var/log/pods/kube-system_coredns-5d78c9869d-8xk2p_${UID}/coredns/3.log`), {
    namespace: 'kube-system',
    pod: 'coredns-5d78c9869d-8xk2p',
    uid: UID,
    container: 'coredns',
    restart: 3,
  });
  // Pod names may hold dots; static pods have a 32-hex-digit hash as uid.
  assert.deepEqual(parsePodLogPath('/var/log/pods/kube-system_etcd-node1.example.com_4a1b2c3d4e5f60718293a4b5c6d7e8f9/etcd/0.log'), {
    namespace: 'kube-system',
    pod: 'etcd-node1.example.com',
    uid: '4a1b2c3d4e5f60718293a4b5c6d7e8f9',
    container: 'etcd',
    restart: 0,
  });
});

test('rotated and compressed files are not live log files', () => {
  const dir = `/var/log/pods/default_web_${UID}/nginx`;
  assert.equal(parsePodLogPath(`${dir}/0.log.20240101-120000`), undefined);
  assert.equal(parsePodLogPath(`${dir}/0.log.20240101-120000.gz`), undefined);
  assert.equal(parsePodLogPath(`${dir}/0.log.gz`), undefined);
  assert.equal(parsePodLogPath(`${dir}/0.log.tmp`), undefined);
  assert.equal(parsePodLogPath(`${dir}/01.log`), undefined);
  assert.equal(parsePodLogPath(`${dir}/x.log`), undefined);
  assert.equal(parsePodLogPath(`${dir}/99999999999999999999.log`), undefined, 'restart counts beyond any real one');
  assert.equal(parsePodLogPath(`${dir}/12.log`)?.restart, 12);
});

test('hostile or foreign names are not mistaken for pods', () => {
  const bad = [
    `default_web_extra_${UID}`, // an underscore too many
    `default_web`, // no uid
    `default_web_not-a-uid`,
    `default_web_${UID.toUpperCase()}`,
    `_web_${UID}`,
    `default__${UID}`,
    `Default_web_${UID}`, // upper case is not a DNS label
    `..__${UID}`,
    `default_.._${UID}`,
    `default_web-_${UID}`,
    `default_wéb_${UID}`,
    `${'a'.repeat(64)}_web_${UID}`, // namespace longer than 63
    `default_web\n_${UID}`,
    `default_web_${UID}\0`,
  ];
  for (const name of bad) assert.equal(parsePodDirName(name), undefined, JSON.stringify(name));
  for (const container of ['..', 'Nginx', 'a_b', '', 'x/y', '-x']) {
    assert.equal(parsePodLogPath(`/var/log/pods/default_web_${UID}/${container}/0.log`), undefined, JSON.stringify(container));
  }
  assert.equal(parsePodLogPath('0.log'), undefined);
  assert.equal(parsePodLogPath(''), undefined);
});
