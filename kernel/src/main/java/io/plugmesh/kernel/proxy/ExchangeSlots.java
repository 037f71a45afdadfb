package io.plugmesh.kernel.proxy;

/**
 * The exchanges of one downstream HTTP/2 connection that still hold work, bounded by the streams
 * the connection advertised. A stream's slot is taken when its request head arrives and given back
 * only once its exchange ended and its upstream work was cancelled, not when the stream closed: a
 * client that resets streams (or makes the proxy reset them) cannot have more upstream requests in
 * flight than it may have streams open. A request beyond the bound is refused (REFUSED_STREAM), so
 * the client may retry it. Confined to the connection's event loop.
 */
public final class ExchangeSlots {
  private final int max;
  private int used;

  /**
   * Creates the slots of one connection.
   *
   * @param max the advertised maximum of concurrent streams
   */
  public ExchangeSlots(int max) {
    if (max <= 0) {
      throw new IllegalArgumentException("max: " + max + " (expected: > 0)");
    }
    this.max = max;
  }

  /**
   * Takes a slot for a new exchange.
   *
   * @return false when every slot is held
   */
  boolean tryTake() {
    if (used >= max) {
      return false;
    }
    used++;
    return true;
  }

  /** Gives a slot back: its exchange ended and holds no upstream work. */
  void giveBack() {
    used--;
  }

  /**
   * The slots held now.
   *
   * @return the count
   */
  public int used() {
    return used;
  }
}
