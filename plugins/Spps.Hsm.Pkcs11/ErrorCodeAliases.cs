global using Pkcs11ErrorCodes = Spps.ErrorCodes.Pkcs11;
