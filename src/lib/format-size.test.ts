import { describe, expect, it } from 'vitest';
import { formatSize } from './format-size.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

describe('formatSize', () => {
  it.each([
    [0, '0 B'],
    [1, '1 B'],
    [204, '204 B'],
    [1023, '1023 B'],
  ])('keeps bytes below 1 KiB as whole bytes: %i → %s', (bytes, expected) => {
    expect(formatSize(bytes)).toBe(expected);
  });

  it.each([
    [1024, '1 KB'],
    [1536, '1.5 KB'],
    [838452, '819 KB'],
    [782328, '764 KB'],
    [10 * KiB + 123, '10.1 KB'],
  ])('shows KB with three significant digits: %i → %s', (bytes, expected) => {
    expect(formatSize(bytes)).toBe(expected);
  });

  it.each([
    [MiB, '1 MB'],
    [1.5 * MiB, '1.5 MB'],
    [1_604_321, '1.53 MB'],
    [250 * MiB, '250 MB'],
  ])('shows MB: %i → %s', (bytes, expected) => {
    expect(formatSize(bytes)).toBe(expected);
  });

  it.each([
    [GiB, '1 GB'],
    [3 * GiB, '3 GB'],
    [1_234_567_890, '1.15 GB'],
    [512.4 * GiB, '512 GB'],
  ])('shows GB: %i → %s', (bytes, expected) => {
    expect(formatSize(bytes)).toBe(expected);
  });

  it('stops at TB for anything larger', () => {
    expect(formatSize(2 * TiB)).toBe('2 TB');
    expect(formatSize(5 * 1024 * TiB)).toBe('5120 TB');
  });

  it('drops trailing zeros instead of printing 1.00', () => {
    expect(formatSize(MiB + 1)).toBe('1 MB');
  });
});
