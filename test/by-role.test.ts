import { byRole, peerOf, ROLES } from '../lib/config/by-role';

describe('byRole', () => {
  it('makes the primary before the secondary: each phase registers the primary region first, as the platform comes up', () => {
    const made: string[] = [];
    const value = byRole((role) => {
      made.push(role);
      return `${role}!`;
    });
    expect(made).toEqual(['primary', 'secondary']);
    expect(value).toEqual({ primary: 'primary!', secondary: 'secondary!' });
  });

  it('ROLES lists the primary first, and each role has the other as its peer', () => {
    expect(ROLES).toEqual(['primary', 'secondary']);
    for (const role of ROLES) {
      expect(peerOf(role)).not.toBe(role);
      expect(peerOf(peerOf(role))).toBe(role);
    }
  });
});
