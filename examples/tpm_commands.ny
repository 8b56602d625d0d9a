# Quick reference: "TPM Commands". hash_value is a SHA-256 digest to
# extend with; buffer is the data to store in NV index 0x1000001.
hash_value = "0000000000000000000000000000000000000000000000000000000000000001"
buffer = "hello"
vm = ProductionVMBuilder().bios("/usr/share/seabios/bios.bin").with_tpm().build()
tpm = vm.tpm

# Extend PCR
tpm.execute_command(
    vm_tpm.TPM_CMD_PCR_EXTEND,
    {
        "pcr_index": 0,
        "hash": "sha256",
        "value": hash_value
    }
);

# Read PCR
let pcr_value = tpm.execute_command(
    vm_tpm.TPM_CMD_PCR_READ,
    {"pcr_index": 0, "hash": "sha256"}
);

# NV Write
tpm.execute_command(
    vm_tpm.TPM_CMD_NV_WRITE,
    {"index": 0x1000001, "data": buffer}
);
