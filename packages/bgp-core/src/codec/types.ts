// Result types of the codec.
import type { BgpMessage, NotificationMessage, PathAttributes, UpdateMessage } from '../model.ts';
import type { PrefixList } from '../prefix.ts';

/**
 * An attribute problem handled without resetting the session (RFC 7606). The caller logs it.
 * `action` says what the decoder did: 'attribute-discard' (the attribute was removed from the
 * message) or 'treat-as-withdraw' (the whole UPDATE's NLRI must be handled as withdrawn).
 */
export interface AttributeIssue {
  readonly action: 'attribute-discard' | 'treat-as-withdraw';
  /** Attribute type code (0 when the issue is not tied to one attribute). */
  readonly code: number;
  /** Byte offset in the message (from the first marker byte) of the attribute. */
  readonly offset: number;
  readonly reason: string;
  /**
   * The NOTIFICATION that classic RFC 4271 §6.3 handling would send for this error (always set
   * by the decoder; optional so callers can report their own issues, e.g. LOCAL_PREF from eBGP).
   */
  readonly notification?: NotificationMessage;
}

export type ReadResult =
  /** A message decoded; `issues` lists attributes discarded under RFC 7606 §2/§7. */
  | { readonly kind: 'message'; readonly message: BgpMessage; readonly issues: readonly AttributeIssue[] }
  /**
   * RFC 7606 treat-as-withdraw: every prefix in `message.nlri`, `message.attributes.mpReach.nlri`,
   * `message.withdrawn` and `message.attributes.mpUnreach.withdrawn` must be handled as withdrawn.
   */
  | {
      readonly kind: 'treat-as-withdraw';
      readonly message: UpdateMessage;
      readonly issues: readonly AttributeIssue[];
    }
  /**
   * Fatal: send `notification` and close the session. `offset` is the byte offset (from the first
   * marker byte of the message) where the problem was found; `reason` says what is wrong.
   * After an error a MessageReader stays failed: every further `next()` returns the same error.
   */
  | {
      readonly kind: 'error';
      readonly notification: NotificationMessage;
      readonly offset: number;
      readonly reason: string;
    };

/** Input of `packUpdates`: one family, one attribute set, prefixes to announce and to withdraw. */
export interface PackInput {
  readonly afi: number;
  readonly safi: number;
  /**
   * Attributes of the announced prefixes. For IPv4 unicast with an IPv4 next hop, `nextHop` is the
   * NEXT_HOP attribute. For IPv6, and for IPv4 with an IPv6 next hop (RFC 8950), the next hop is
   * given as `mpNextHop` below; `mpReach`/`mpUnreach` in `attributes` are ignored.
   */
  readonly attributes: PathAttributes;
  /** Next hop for MP_REACH_NLRI (IPv6 families, or IPv4 with an IPv6 next hop). */
  readonly mpNextHop?: { readonly global: string; readonly linkLocal?: string };
  readonly announce: PrefixList;
  readonly withdraw: PrefixList;
}
