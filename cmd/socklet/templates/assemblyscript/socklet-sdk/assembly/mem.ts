// Scratch memory shared by the SDK (internal).
//
// Three regions, none of them managed by the garbage collector:
//   - the event buffer, returned by socklet_alloc: the host writes each event's
//     payload there; it is valid until that event's export returns, then reused.
//     It lives in pages the SDK grows itself (memory.grow), outside the
//     allocator's heap, so that an impossible size makes socklet_alloc return
//     0 instead of trapping (the allocator traps when memory cannot grow).
//   - the argument buffer: strings are encoded to UTF-8 here right before a
//     host call reads them.
//   - the output buffer: host calls that answer with bytes (config, conn_info,
//     conn_header, attachment) write here; the SDK copies the bytes out.
// Events to one instance are never concurrent and a host call never calls back
// into the guest, so one buffer of each kind is enough.

// Event buffer: [evPtr, evPtr + evCap). evCap 0 means none yet.
let evPtr: usize = 0;
let evCap: usize = 0;

/** MaxPages is the size of a wasm32 address space in 64 KiB pages. */
const MaxPages: usize = 65536;

/**
 * eventBuffer returns room for size bytes, or 0 if size is negative or memory
 * cannot grow that far. The room is reused by the next event.
 */
export function eventBuffer(size: i32): usize {
  if (size < 0) return 0;
  if (<usize>size <= evCap) return evPtr;
  // The allocator (TLSF) adds memory.size()..end to its heap when it grows, so
  // pages grown here are never handed out by it. It must be initialised first
  // or it would claim them: one allocation does that.
  heap.free(heap.alloc(1));
  let want = max<usize>(<usize>size, evCap << 1);
  let pages = (want + 0xffff) >> 16;
  let end = <usize>memory.size() << 16;
  if (evCap != 0 && evPtr + evCap == end) {
    // The buffer is the last thing in memory: extend it in place.
    let more = ((<usize>size - evCap) + 0xffff) >> 16;
    let moreWanted = pages - (evCap >> 16);
    if (memory.grow(<i32>moreWanted) < 0) {
      if (memory.grow(<i32>more) < 0) return 0;
      moreWanted = more;
    }
    evCap += moreWanted << 16;
    return evPtr;
  }
  let need = (<usize>size + 0xffff) >> 16;
  let start = memory.grow(<i32>pages);
  if (start < 0) {
    start = memory.grow(<i32>need);
    if (start < 0) return 0;
    pages = need;
  }
  evPtr = <usize>start << 16;
  evCap = pages << 16;
  return evPtr;
}

// Argument and output buffers: allocator blocks, grown on demand, never freed.
let argPtr: usize = 0;
let argCap: usize = 0;
let outPtr: usize = 0;
let outCap: usize = 0;

/** argBuffer returns room for n bytes of arguments (valid until the next SDK call). */
export function argBuffer(n: usize): usize {
  if (n > argCap) {
    let c = max<usize>(n, max<usize>(argCap << 1, 256));
    argPtr = argCap == 0 ? heap.alloc(c) : heap.realloc(argPtr, c);
    argCap = c;
  }
  return argPtr;
}

/** outBuffer returns the output buffer with at least n bytes (n may be 0). */
export function outBuffer(n: usize): usize {
  if (n > outCap || outCap == 0) {
    let c = max<usize>(n, max<usize>(outCap << 1, 256));
    outPtr = outCap == 0 ? heap.alloc(c) : heap.realloc(outPtr, c);
    outCap = c;
  }
  return outPtr;
}

/** outCapacity is the current size of the output buffer. */
export function outCapacity(): i32 {
  return <i32>outCap;
}

// The last string or bytes prepared by prepare: where the host should read.
export let prepPtr: usize = 0;
export let prepLen: i32 = 0;

/**
 * utf8Len returns the number of bytes s takes in UTF-8 (a lone surrogate
 * counts 3 bytes: it is sent as U+FFFD).
 */
// @ts-ignore: decorator
@inline
export function utf8Len(s: string): usize {
  return <usize>String.UTF8.byteLength(s);
}

/** encodeAt writes s as UTF-8 at ptr (which has room for utf8Len(s) bytes). */
// @ts-ignore: decorator
@inline
export function encodeAt(s: string, ptr: usize): void {
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, ptr, false, String.UTF8.ErrorMode.REPLACE);
}

/**
 * prepare makes data readable by the host and sets prepPtr and prepLen: a
 * string is encoded to UTF-8 into the argument buffer at offset at; an
 * ArrayBuffer or a typed array (Uint8Array, ...) is passed where it lies.
 * Passing null gives (0, 0).
 */
export function prepare<T>(data: T, at: usize): void {
  if (isNullable<T>()) {
    if (changetype<usize>(data) == 0) {
      prepPtr = 0;
      prepLen = 0;
      return;
    }
  }
  if (isString<T>()) {
    let s = changetype<string>(data);
    let n = utf8Len(s);
    let base = argBuffer(at + n);
    encodeAt(s, base + at);
    prepPtr = base + at;
    prepLen = <i32>n;
  } else if (idof<T>() == idof<ArrayBuffer>()) {
    let b = changetype<ArrayBuffer>(data);
    prepPtr = changetype<usize>(b);
    prepLen = b.byteLength;
  } else if (data instanceof ArrayBufferView) {
    let v = changetype<ArrayBufferView>(data);
    prepPtr = v.dataStart;
    prepLen = v.byteLength;
  } else {
    ERROR("socklet: data must be a string, an ArrayBuffer or a typed array such as Uint8Array");
  }
}

/** bytesAt copies len bytes at ptr into a new Uint8Array. */
export function bytesAt(ptr: usize, len: i32): Uint8Array {
  let a = new Uint8Array(len);
  if (len > 0) memory.copy(a.dataStart, ptr, <usize>len);
  return a;
}

/** textAt decodes len bytes of UTF-8 at ptr. */
// @ts-ignore: decorator
@inline
export function textAt(ptr: usize, len: i32): string {
  return len > 0 ? String.UTF8.decodeUnsafe(ptr, <usize>len, false) : "";
}
