import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrationsDirectory, requiredMigrations } from '../../src/db/schema-migrations';

/** Which migrations the API's /ready and a starting worker require (src/db/schema-migrations.ts). */

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A project folder with prisma/migrations holding `folders` (each with a migration.sql unless listed in `empty`). */
function project(folders: string[], empty: string[] = []): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tiketq-migrations-'));
  made.push(root);
  const migrations = path.join(root, 'prisma', 'migrations');
  mkdirSync(migrations, { recursive: true });
  writeFileSync(path.join(migrations, 'migration_lock.toml'), 'provider = "postgresql"\n');
  for (const folder of folders) {
    mkdirSync(path.join(migrations, folder));
    if (!empty.includes(folder)) writeFileSync(path.join(migrations, folder, 'migration.sql'), 'select 1;\n');
  }
  return root;
}

describe('the migrations this code requires', () => {
  it('are the folders of prisma/migrations that hold a migration.sql, in order', () => {
    const root = project(['20261207090000_b', '20261126000000_a', '20261201000000_half_written'], ['20261201000000_half_written']);
    expect(requiredMigrations(path.join(root, 'prisma', 'migrations'))).toEqual(['20261126000000_a', '20261207090000_b']);
  });

  it('are found above the running module: src/db/ under tsx, dist/ in the build and the image', () => {
    const root = project(['20261126000000_a']);
    for (const from of [path.join(root, 'src', 'db'), path.join(root, 'dist')]) {
      mkdirSync(from, { recursive: true });
      expect(migrationsDirectory(from)).toBe(path.join(root, 'prisma', 'migrations'));
    }
  });

  it('are an error, not an empty list, where no prisma/migrations lies above', () => {
    const lone = mkdtempSync(path.join(tmpdir(), 'tiketq-no-migrations-'));
    made.push(lone);
    expect(() => migrationsDirectory(lone)).toThrow(/no prisma\/migrations folder between/);
  });

  it("are looked for up to the project's root only: a folder above it is another project's", () => {
    const outer = project(['20261126000000_a']);
    const inner = path.join(outer, 'image');
    mkdirSync(path.join(inner, 'dist'), { recursive: true });
    writeFileSync(path.join(inner, 'package.json'), '{}');
    expect(() => migrationsDirectory(path.join(inner, 'dist'))).toThrow(/no prisma\/migrations folder between/);
  });

  it('of this checkout are its prisma/migrations', () => {
    const names = requiredMigrations();
    expect(names.length).toBeGreaterThan(10);
    expect(names.at(-1)).toMatch(/^\d{14}_/);
  });
});
