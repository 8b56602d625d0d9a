fn f() {
    while (true) { g = fn() { break } }
}
