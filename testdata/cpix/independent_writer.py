#!/usr/bin/env python3
"""An independent CPIX 2.3 writer for drmorigin's import tests.

It shares no code with drmorigin: the XML is written by hand here, and every
cryptographic step is the openssl command line (rand, pkeyutl with OAEP,
enc -aes-256-cbc, dgst -hmac sha512), as CPIX 2.3 clause 7 prescribes them.

usage: independent_writer.py CERT.pem KID_HEX KEY_HEX [options] > doc.xml
  --pssh-data HEX   add a Widevine DRMSystem whose PSSH box carries these bytes
  --hls-uri URI     with --pssh-data: the Widevine system's media HLSSignalingData has this key URI
  --video-only      a usage rule with a VideoFilter only (leaves audio keyless)
  --tamper-mac      flip a bit of the ValueMAC
  --no-value        leave the ContentKey without Data
  --scheme S        ContentKey@commonEncryptionScheme
"""
import argparse, base64, os, struct, subprocess, sys, tempfile

def openssl(*args, stdin=None):
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=True).stdout

def b64(b):
    return base64.b64encode(b).decode()

def guid(h):
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"

WIDEVINE = bytes.fromhex("edef8ba979d64acea3c827dcd51d21ed")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cert"); ap.add_argument("kid"); ap.add_argument("key")
    ap.add_argument("--pssh-data"); ap.add_argument("--video-only", action="store_true")
    ap.add_argument("--tamper-mac", action="store_true"); ap.add_argument("--no-value", action="store_true")
    ap.add_argument("--scheme"); ap.add_argument("--hls-uri")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp()
    def f(name, data):
        p = os.path.join(tmp, name)
        with open(p, "wb") as w:
            w.write(data)
        return p
    doc_key = openssl("rand", "32")
    mac_key = openssl("rand", "64")
    oaep = ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha1", "-pkeyopt", "rsa_mgf1_md:sha1"]
    wrapped_doc = openssl("pkeyutl", "-encrypt", "-certin", "-inkey", a.cert, *oaep, "-in", f("dk", doc_key))
    wrapped_mac = openssl("pkeyutl", "-encrypt", "-certin", "-inkey", a.cert, *oaep, "-in", f("mk", mac_key))
    der = openssl("x509", "-in", a.cert, "-outform", "DER")
    iv = openssl("rand", "16")
    ct = openssl("enc", "-aes-256-cbc", "-K", doc_key.hex(), "-iv", iv.hex(), "-in", f("v", bytes.fromhex(a.key)))
    cv = iv + ct
    mac = bytearray(openssl("dgst", "-sha512", "-mac", "HMAC", "-macopt", "hexkey:" + mac_key.hex(), "-binary", f("cv", cv)))
    if a.tamper_mac:
        mac[0] ^= 1
    kid = guid(a.kid)
    scheme = f' commonEncryptionScheme="{a.scheme}"' if a.scheme else ""
    enc = lambda alg, v: (f'<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#{alg}"/>'
                          f'<xenc:CipherData><xenc:CipherValue>{b64(v)}</xenc:CipherValue></xenc:CipherData>')
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" '
           'xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" version="2.3">',
           '<cpix:DeliveryDataList><cpix:DeliveryData>',
           f'<cpix:DeliveryKey><ds:X509Data><ds:X509Certificate>{b64(der)}</ds:X509Certificate></ds:X509Data></cpix:DeliveryKey>',
           '<cpix:DocumentKey Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"><cpix:Data><pskc:Secret><pskc:EncryptedValue>',
           enc("rsa-oaep-mgf1p", wrapped_doc), '</pskc:EncryptedValue></pskc:Secret></cpix:Data></cpix:DocumentKey>',
           '<cpix:MACMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#hmac-sha512"><pskc:MACKey>',
           enc("rsa-oaep-mgf1p", wrapped_mac), '</pskc:MACKey></cpix:MACMethod>',
           '</cpix:DeliveryData></cpix:DeliveryDataList>', '<cpix:ContentKeyList>']
    if a.no_value:
        out.append(f'<cpix:ContentKey kid="{kid}"{scheme}/>')
    else:
        out += [f'<cpix:ContentKey kid="{kid}"{scheme}><cpix:Data><pskc:Secret><pskc:EncryptedValue>', enc("aes256-cbc", cv),
                f'</pskc:EncryptedValue><pskc:ValueMAC>{b64(bytes(mac))}</pskc:ValueMAC></pskc:Secret></cpix:Data></cpix:ContentKey>']
    out.append('</cpix:ContentKeyList>')
    if a.pssh_data:
        data = bytes.fromhex(a.pssh_data)
        body = b"\x00\x00\x00\x00" + WIDEVINE + struct.pack(">I", len(data)) + data  # version 0
        box = struct.pack(">I", 8 + len(body)) + b"pssh" + body
        out += ['<cpix:DRMSystemList>', f'<cpix:DRMSystem kid="{kid}" systemId="{guid(WIDEVINE.hex())}">',
                f'<cpix:PSSH>{b64(box)}</cpix:PSSH>']
        if a.hls_uri:
            tag = (f'#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI="{a.hls_uri}",'
                   'KEYFORMAT="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed",KEYFORMATVERSIONS="1"\n')
            out.append(f'<cpix:HLSSignalingData playlist="media">{b64(tag.encode())}</cpix:HLSSignalingData>')
        out += ['</cpix:DRMSystem>', '</cpix:DRMSystemList>']
    if a.video_only:
        out += ['<cpix:ContentKeyUsageRuleList>', f'<cpix:ContentKeyUsageRule kid="{kid}" intendedTrackType="VIDEO"><cpix:VideoFilter/></cpix:ContentKeyUsageRule>',
                '</cpix:ContentKeyUsageRuleList>']
    out.append('</cpix:CPIX>')
    sys.stdout.write("\n".join(out) + "\n")

main()
