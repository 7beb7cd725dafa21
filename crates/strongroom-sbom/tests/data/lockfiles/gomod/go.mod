module example.com/app

go 1.22

toolchain go1.22.3

require github.com/pkg/errors v0.9.1

require (
	github.com/Azure/azure-sdk-for-go v68.0.0+incompatible
	golang.org/x/text v0.14.0 // indirect
	"github.com/quoted/mod" v1.0.0
	example.com/old v1.0.0
	example.com/local v0.0.0-00010101000000-000000000000
)

replace example.com/old => example.com/new v1.2.0

replace (
	example.com/local => ../local
)

exclude golang.org/x/text v0.13.0

retract v1.0.1 // published by mistake
