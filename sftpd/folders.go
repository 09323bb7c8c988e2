package sftpd

import (
	"slices"
	"strings"
)

// outgoingFolders are Coupa's standard /Outgoing/ object folders (English
// names; translated seed documents show other names, which are wrong).
var outgoingFolders = []string{
	"ExpenseReports", "Invoices", "PurchaseOrders", "Receipts", "Requisitions",
	"Suppliers", "SupplierInformations",
}

// incomingFolders are Coupa's standard /Incoming/ object folders; the same
// names exist under /Archive/Incoming/.
var incomingFolders = []string{
	"Accounts", "AccountValidationRules", "Addresses", "ApprovalChains",
	"BudgetLines", "BusinessGroups", "Commodities", "Contracts", "Departments",
	"ExchangeRates", "ExpensePayments", "InvoicePayments", "Invoices", "Items",
	"LookupValues", "Receipts", "RemitToAddresses", "Requisitions", "Suppliers",
	"Users",
}

// documentTypes maps an /Incoming/ folder to the Coupa document-type code of
// what it imports. Folders with no fitting code are absent.
var documentTypes = map[string]string{
	"Accounts":               "Account",
	"AccountValidationRules": "AccountValidationRule",
	"Addresses":              "Address",
	"ApprovalChains":         "ApprovalChain",
	"Contracts":              "Contract",
	"ExchangeRates":          "ExchangeRate",
	"ExpensePayments":        "Payment",
	"InvoicePayments":        "Payment",
	"Invoices":               "InvoiceHeader",
	"Items":                  "Item",
	"LookupValues":           "LookupValue",
	"Receipts":               "InventoryTransaction",
	"RemitToAddresses":       "RemitToAddress",
	"Requisitions":           "RequisitionHeader",
	"Suppliers":              "Supplier",
	"Users":                  "User",
}

// OutgoingFolders returns the names of the standard /Outgoing/ object
// folders, in Coupa's documented order. The caller may modify the slice.
func OutgoingFolders() []string { return slices.Clone(outgoingFolders) }

// IncomingFolders returns the names of the standard /Incoming/ object folders
// (also the folders of /Archive/Incoming/), in Coupa's documented order. The
// caller may modify the slice.
func IncomingFolders() []string { return slices.Clone(incomingFolders) }

// DocumentType returns the Coupa document-type code for files imported
// through /Incoming/<folder>/, for example "InvoiceHeader" for "Invoices", or
// "" when no code fits (BudgetLines, BusinessGroups, Commodities, Departments)
// or the folder is not a standard incoming folder.
func DocumentType(folder string) string { return documentTypes[folder] }

// canonicalFolder returns the standard folder name in names that matches
// name case-insensitively.
func canonicalFolder(names []string, name string) (string, bool) {
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return n, true
		}
	}
	return "", false
}
