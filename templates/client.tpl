{{/* client: TLS client authentication only (mutual TLS, VPN users). The key only signs, so digitalSignature for every key type. */ -}}
{
	"subject": {{ toJson .Subject }},
	"sans": {{ toJson .SANs }},
	"keyUsage": ["digitalSignature"],
	"extKeyUsage": ["clientAuth"]
}
