/**
 * The one light of a scene. Fruit, leaf and shadow all read the same light so the
 * highlight, the shaded side and the shadow agree, which is what makes a render read as
 * a photo rather than a drawing.
 */
import type { Rng } from "./rng.ts";

/** A directional light: unit vector towards it, Blinn half-vector, ambient share, colour. */
export interface Light {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly hx: number;
  readonly hy: number;
  readonly hz: number;
  /** Share of light that reaches surfaces facing away (sky, walls). */
  readonly ambient: number;
  /** Per-channel colour of the light: warm lamps, cool daylight. */
  readonly r: number;
  readonly g: number;
  readonly b: number;
}

/** A random light from above, mostly from the upper side of the frame like a window. */
export function createLight(rng: Rng): Light {
  const azimuth = rng.range(-Math.PI, 0) + rng.range(-0.6, 0.6); // y points down: -y is "up"
  const elevation = rng.range(0.6, 1.15);
  const x = Math.cos(azimuth) * Math.cos(elevation);
  const y = Math.sin(azimuth) * Math.cos(elevation);
  const z = Math.sin(elevation);
  const hl = Math.hypot(x, y, z + 1);
  const warmth = rng.range(-0.05, 0.05);
  return {
    x,
    y,
    z,
    hx: x / hl,
    hy: y / hl,
    hz: (z + 1) / hl,
    ambient: rng.range(0.32, 0.48),
    r: 1 + warmth,
    g: 1,
    b: 1 - warmth,
  };
}
