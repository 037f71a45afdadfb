package io.plugmesh.plugins.ratelimit;

import static java.util.Objects.requireNonNull;

import io.github.bucket4j.BucketState;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.VerboseResult;
import java.util.List;

/**
 * What taking one token from a key's bucket gave: allowed or not, and per limit what is left and
 * when the bucket is full again.
 *
 * @param allowed whether the request got a token from every limit
 * @param limits the limits of the bucket
 * @param remaining per limit, tokens left after this request, never negative
 * @param nanosUntilFull per limit, nanoseconds until the bucket is full again
 * @param nanosToWait for a rejected request, nanoseconds until a token is available; else 0
 */
public record Outcome(
    boolean allowed,
    LimitSet limits,
    List<Long> remaining,
    List<Long> nanosUntilFull,
    long nanosToWait) {

  /**
   * Creates an outcome.
   *
   * @param allowed whether allowed
   * @param limits the limits
   * @param remaining tokens left per limit
   * @param nanosUntilFull nanoseconds until full per limit
   * @param nanosToWait nanoseconds until a token, 0 when allowed
   */
  public Outcome {
    requireNonNull(limits, "limits");
    remaining = List.copyOf(remaining);
    nanosUntilFull = List.copyOf(nanosUntilFull);
    int n = limits.limits().size();
    if (remaining.size() != n || nanosUntilFull.size() != n) {
      throw new IllegalArgumentException(
          "remaining/nanosUntilFull: "
              + remaining.size()
              + "/"
              + nanosUntilFull.size()
              + " values (expected: "
              + n
              + ", one per limit)");
    }
    nanosToWait = Math.max(0, nanosToWait);
  }

  /**
   * Reads a bucket4j verbose consumption result.
   *
   * @param limits the limits the bucket was configured with (in bandwidth order)
   * @param result the result
   * @return the outcome
   */
  static Outcome of(LimitSet limits, VerboseResult<ConsumptionProbe> result) {
    ConsumptionProbe probe = result.getValue();
    BucketState state = result.getState();
    List<Limit> list = limits.limits();
    Long[] remaining = new Long[list.size()];
    Long[] full = new Long[list.size()];
    for (int i = 0; i < list.size(); i++) {
      long current = state.getCurrentSize(i);
      remaining[i] = Math.max(0, current);
      full[i] = list.get(i).nanosUntilFull(current);
    }
    return new Outcome(
        probe.isConsumed(),
        limits,
        List.of(remaining),
        List.of(full),
        probe.isConsumed() ? 0 : probe.getNanosToWaitForRefill());
  }

  /**
   * The index of the limit closest to rejecting: fewest tokens left, then the longest until full.
   *
   * @return the index into {@link LimitSet#limits()}
   */
  public int tightest() {
    int best = 0;
    for (int i = 1; i < remaining.size(); i++) {
      long r = remaining.get(i);
      long br = remaining.get(best);
      if (r < br || (r == br && nanosUntilFull.get(i) > nanosUntilFull.get(best))) {
        best = i;
      }
    }
    return best;
  }
}
