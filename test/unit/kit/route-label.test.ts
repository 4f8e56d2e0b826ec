/** Route labels for requests without a route template: ids folded, depth and count capped. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePath, pathOf, RouteLabels, OVERFLOW_ROUTE } from '../../../src/kit/route-label.js';

test('the query string is dropped', () => {
  assert.equal(pathOf('/a/b?token=secret&x=1'), '/a/b');
  assert.equal(pathOf('/a'), '/a');
  assert.equal(pathOf(undefined), '/');
});

test('numeric, UUID, long hex and overlong segments become :id; names stay', () => {
  assert.equal(normalizePath('/users/42/orders/550E8400-E29B-41D4-A716-446655440000'), '/users/:id/orders/:id');
  assert.equal(normalizePath('/blobs/507f1f77bcf86cd799439011'), '/blobs/:id');
  assert.equal(normalizePath('/v2/cafe/beef'), '/v2/cafe/beef', 'short hex-looking words are not ids');
  assert.equal(normalizePath('/p/' + 'x'.repeat(65)), '/p/:id');
  assert.equal(normalizePath('/'), '/');
  assert.equal(normalizePath('/a/'), '/a/');
});

test('paths deeper than six segments end in /*', () => {
  assert.equal(normalizePath('/a/b/c/d/e/f/g/h'), '/a/b/c/d/e/f/*');
  assert.equal(normalizePath('/a/b/c/d/e/f'), '/a/b/c/d/e/f');
});

test('a route template wins; distinct path labels are capped, repeated ones keep their label', () => {
  const labels = new RouteLabels(2);
  assert.equal(labels.label('/users/:id', '/users/1'), '/users/:id');
  assert.equal(labels.label(undefined, '/a/1'), '/a/:id');
  assert.equal(labels.label(undefined, '/b'), '/b');
  assert.equal(labels.label(undefined, '/c'), OVERFLOW_ROUTE);
  assert.equal(labels.label(undefined, '/a/7'), '/a/:id');
  assert.equal(labels.label('/users/:id', '/users/2'), '/users/:id', 'templates are not capped');
});
