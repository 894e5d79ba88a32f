{{/* codesign: signing code and packages. */ -}}
{
	"subject": {{ toJson .Subject }},
	"sans": {{ toJson .SANs }},
	"keyUsage": ["digitalSignature"],
	"extKeyUsage": ["codeSigning"]
}
