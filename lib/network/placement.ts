/**
 * Which availability zones a region's tiers go to. AZ names (`us-east-1a`) map to different
 * physical zones in every account; AZ IDs (`use1-az1`) do not, and not every instance type,
 * database class or endpoint service is offered in every zone. So zones are chosen by ID, among
 * those offering everything the platform runs, the same way in every account.
 */

export interface Zone {
  readonly name: string;
  readonly id: string;
}

/** Something the platform runs in each chosen zone, and the zone IDs that offer it. */
export interface Requirement {
  readonly what: string;
  readonly zoneIds: readonly string[];
}

const byId = (a: Zone, b: Zone) => a.id.localeCompare(b.id, 'en', { numeric: true });

/**
 * The first `count` zones by ID that offer every requirement. Throws naming what is missing
 * where when fewer qualify.
 */
export function chooseZones(
  region: string,
  available: readonly Zone[],
  requirements: readonly Requirement[],
  count: number,
): Zone[] {
  const offersAll = (zone: Zone) => requirements.every((r) => r.zoneIds.includes(zone.id));
  const eligible = [...available].sort(byId).filter(offersAll);
  if (eligible.length < count) {
    const gaps = requirements
      .map((r) => ({ what: r.what, missing: available.filter((z) => !r.zoneIds.includes(z.id)).map((z) => z.id) }))
      .filter((g) => g.missing.length > 0)
      .map((g) => `${g.what} is not offered in ${g.missing.join(', ')}`);
    throw new Error(
      `${region}: ${eligible.length} of ${available.length} availability zones offer everything the platform needs, azCount is ${count} (${gaps.join('; ')})`,
    );
  }
  return eligible.slice(0, count);
}

/**
 * Indexes of the chosen zones where a service is offered (`offeredNames` as AWS lists them for
 * this account: names). Throws when fewer than two are: an endpoint in one zone would take the
 * region's private access to that API down with the zone.
 */
export function zonesOffering(what: string, chosen: readonly Zone[], offeredNames: readonly string[]): number[] {
  const indexes = chosen.flatMap((zone, i) => (offeredNames.includes(zone.name) ? [i] : []));
  if (indexes.length < Math.min(2, chosen.length)) {
    throw new Error(
      `${what} is offered in ${indexes.length} of the chosen zones (${chosen.map((z) => z.id).join(', ')}); it needs two to survive a zone`,
    );
  }
  return indexes;
}
