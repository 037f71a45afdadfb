package io.plugmesh.kernel.http;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A plain blocking socket to a listener that writes exactly the bytes a test gives it and parses
 * HTTP/1.x responses by hand, so malformed requests reach the proxy unchanged. Every read is
 * bounded by {@link #READ_TIMEOUT_MILLIS}.
 */
final class RawConnection implements AutoCloseable {
  /** How long one blocking read may wait before the test fails. */
  static final int READ_TIMEOUT_MILLIS = 10_000;

  /** Largest response head or body this client accepts. */
  static final int MAX_RESPONSE_BYTES = 1024 * 1024;

  /** A response as received. */
  record Response(String version, int status, List<String[]> headers, String body) {
    /** First value of a header (case-insensitive) or null. */
    String header(String name) {
      for (String[] h : headers) {
        if (h[0].equalsIgnoreCase(name)) {
          return h[1];
        }
      }
      return null;
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private RawConnection(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  static RawConnection open(int port) throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.setSoTimeout(READ_TIMEOUT_MILLIS);
    s.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MILLIS);
    return new RawConnection(s);
  }

  /** Writes the text as ISO-8859-1 bytes (so {@code \u0001} is byte 0x01) in one write. */
  RawConnection send(String text) throws IOException {
    return send(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  RawConnection send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  /** Reads one response (an interim 1xx included); the body by length, chunks or close. */
  Response readResponse() throws IOException {
    String statusLine = readLine();
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
      throw new IOException("not a status line: '" + statusLine + "'");
    }
    int status = Integer.parseInt(parts[1]);
    List<String[]> headers = new ArrayList<>();
    int headBytes = statusLine.length();
    for (String line = readLine(); !line.isEmpty(); line = readLine()) {
      headBytes += line.length();
      if (headBytes > MAX_RESPONSE_BYTES) {
        throw new IOException("response head too large");
      }
      int colon = line.indexOf(':');
      headers.add(new String[] {line.substring(0, colon).trim(), line.substring(colon + 1).trim()});
    }
    Response head = new Response(parts[0], status, headers, "");
    if (status / 100 == 1 || status == 204 || status == 304) {
      return head;
    }
    String length = head.header("content-length");
    String encoding = head.header("transfer-encoding");
    byte[] body;
    if (length != null) {
      body = readExactly(Integer.parseInt(length));
    } else if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
      body = readChunked();
    } else {
      body = readToEnd();
    }
    return new Response(parts[0], status, headers, new String(body, StandardCharsets.UTF_8));
  }

  /**
   * Whether the peer closed the connection: true on end of stream or a reset, false if it sent
   * anything else; fails with a timeout if it does neither within {@link #READ_TIMEOUT_MILLIS}.
   */
  boolean closedByPeer() throws IOException {
    try {
      return in.read() < 0;
    } catch (SocketException e) {
      return true; // reset by peer: closed, not gracefully
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private String readLine() throws IOException {
    StringBuilder sb = new StringBuilder();
    while (sb.length() < MAX_RESPONSE_BYTES) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed after '" + sb + "'");
      }
      if (b == '\n') {
        int n = sb.length();
        return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
      }
      sb.append((char) b);
    }
    throw new IOException("line too long");
  }

  private byte[] readExactly(int n) throws IOException {
    if (n > MAX_RESPONSE_BYTES) {
      throw new IOException("body of " + n + " bytes too large");
    }
    return readExactlyBytes(n);
  }

  private byte[] readChunked() throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String sizeLine = readLine();
      int semicolon = sizeLine.indexOf(';');
      int size =
          Integer.parseInt(
              (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
      if (size == 0) {
        while (!readLine().isEmpty()) {
          // trailers: ignored
        }
        return body.toByteArray();
      }
      if (body.size() + size > MAX_RESPONSE_BYTES) {
        throw new IOException("chunked body too large");
      }
      body.write(readExactlyBytes(size));
      readLine();
    }
  }

  private byte[] readExactlyBytes(int n) throws IOException {
    byte[] bytes = in.readNBytes(n);
    if (bytes.length != n) {
      throw new EOFException("connection closed before " + n + " body bytes");
    }
    return bytes;
  }

  private byte[] readToEnd() throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
      body.write(buf, 0, n);
      if (body.size() > MAX_RESPONSE_BYTES) {
        throw new IOException("body too large");
      }
    }
    return body.toByteArray();
  }
}
