global using TaskErrorCodes = Spps.ErrorCodes.Build;
