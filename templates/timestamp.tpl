{{/*
  timestamp: an RFC 3161 time-stamping authority. RFC 3161 2.3 wants the
  extended key usage critical and holding timeStamping alone; x509
  templates cannot mark extKeyUsage critical, so the raw extension
  (2.5.29.37, SEQUENCE { id-kp-timeStamping } in base64) replaces it,
  as step-ca's "extensions" do.
*/ -}}
{
	"subject": {{ toJson .Subject }},
	"sans": {{ toJson .SANs }},
	"keyUsage": ["digitalSignature"],
	"extKeyUsage": ["timeStamping"],
	"extensions": [
		{"id": "2.5.29.37", "critical": true, "value": "MAoGCCsGAQUFBwMI"}
	]
}
