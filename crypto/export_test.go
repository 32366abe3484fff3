package crypto

// UseAsm tells the external tests whether the AES-NI assembly runs (the
// allocation tests hold only there).
var UseAsm = useAsm
