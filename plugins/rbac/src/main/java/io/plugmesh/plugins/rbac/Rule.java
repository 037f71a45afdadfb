package io.plugmesh.plugins.rbac;

import static java.util.Objects.requireNonNull;

/**
 * One named allow or deny rule.
 *
 * @param name the rule's name, the {@code policy} tag of the metrics
 * @param effect allow or deny
 * @param condition what it matches
 */
record Rule(String name, Effect effect, Condition condition) {

  /** What a matching rule does. */
  enum Effect {
    /** The request may go on (unless a deny rule matches too). */
    ALLOW,
    /** The request is refused; deny rules win over allow rules. */
    DENY
  }

  Rule {
    requireNonNull(name, "name");
    requireNonNull(effect, "effect");
    requireNonNull(condition, "condition");
  }
}
