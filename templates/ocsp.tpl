{{/*
  ocsp: a delegated OCSP responder (RFC 6960 4.2.2.2). The extension
  1.3.6.1.5.5.7.48.1.5 is id-pkix-ocsp-nocheck; its value is DER NULL
  (05 00, "BQA=" in base64), telling clients not to check the
  responder's own revocation status.
*/ -}}
{
	"subject": {{ toJson .Subject }},
	"sans": {{ toJson .SANs }},
	"keyUsage": ["digitalSignature"],
	"extKeyUsage": ["ocspSigning"],
	"extensions": [
		{"id": "1.3.6.1.5.5.7.48.1.5", "critical": false, "value": "BQA="}
	]
}
